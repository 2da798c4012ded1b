// Base64 as outbox bodies and mail carry it: the RFC 4648 vectors, round trips of every short
// length and every byte value, and damaged text rejected rather than half decoded.
#include "channels/base64.h"

#include <gtest/gtest.h>

#include <string>

#include "channels/outbox_body.h"

namespace cohortwatch::channels {
namespace {

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(encodeBase64(""), "");
  EXPECT_EQ(encodeBase64("f"), "Zg==");
  EXPECT_EQ(encodeBase64("fo"), "Zm8=");
  EXPECT_EQ(encodeBase64("foo"), "Zm9v");
  EXPECT_EQ(encodeBase64("foob"), "Zm9vYg==");
  EXPECT_EQ(encodeBase64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encodeBase64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(encodeBase64(std::string("\xfb\xff\x00", 3)), "+/8A");
}

TEST(Base64, DecodesRfc4648Vectors) {
  EXPECT_EQ(decodeBase64(""), "");
  EXPECT_EQ(decodeBase64("Zg=="), "f");
  EXPECT_EQ(decodeBase64("Zm8="), "fo");
  EXPECT_EQ(decodeBase64("Zm9v"), "foo");
  EXPECT_EQ(decodeBase64("Zm9vYg=="), "foob");
  EXPECT_EQ(decodeBase64("Zm9vYmE="), "fooba");
  EXPECT_EQ(decodeBase64("Zm9vYmFy"), "foobar");
  EXPECT_EQ(decodeBase64("+/8A"), std::string("\xfb\xff\x00", 3));
}

TEST(Base64, ShortInputsRoundTrip) {
  // 0, 1, 2 and 3 bytes: no padding, two '=', one '=', none; binary bytes included.
  for (const std::string& data :
       {std::string(), std::string(1, '\0'), std::string("\xff\x00", 2),
        std::string("\x00\x80\xff", 3), std::string("a"), std::string("ab"), std::string("abc")}) {
    const std::string encoded = encodeBase64(data);
    EXPECT_EQ(encoded.size(), (data.size() + 2) / 3 * 4);
    EXPECT_EQ(decodeBase64(encoded), data) << encoded;
  }
}

TEST(Base64, EveryByteValueRoundTrips) {
  std::string data;
  for (int i = 0; i < 256 * 3 + 1; ++i) data.push_back(static_cast<char>(i % 256));
  EXPECT_EQ(decodeBase64(encodeBase64(data)), data);
}

TEST(Base64, DamagedTextIsRejected) {
  EXPECT_EQ(decodeBase64("Zg="), std::nullopt);           // not a multiple of 4
  EXPECT_EQ(decodeBase64("Zm9vY"), std::nullopt);         // not a multiple of 4
  EXPECT_EQ(decodeBase64("Zm9*"), std::nullopt);          // not in the alphabet
  EXPECT_EQ(decodeBase64("Zm-_"), std::nullopt);          // the URL-safe alphabet is not ours
  EXPECT_EQ(decodeBase64("Zm 9"), std::nullopt);          // white space inside
  EXPECT_EQ(decodeBase64("Zm9v\n\n\n\n"), std::nullopt);  // white space at the end
  EXPECT_EQ(decodeBase64("Zg==Zg=="), std::nullopt);      // padding before the end
  EXPECT_EQ(decodeBase64("Zg=a"), std::nullopt);          // padding inside a group
  EXPECT_EQ(decodeBase64("Z==="), std::nullopt);          // three '='
  EXPECT_EQ(decodeBase64("===="), std::nullopt);          // padding only
  EXPECT_EQ(decodeBase64("Zh=="), std::nullopt);          // stray bits: no encoder writes this
}

TEST(Base64, OutboxBodyWithDamagedAttachmentIsRejected) {
  EXPECT_TRUE(decodeEmailBody(
      R"({"subject":"s","text":"t","attachments":[{"filename":"a","base64":"Zm9v"}]})"));
  EXPECT_FALSE(decodeEmailBody(
      R"({"subject":"s","text":"t","attachments":[{"filename":"a","base64":"Zm9*"}]})"));
  EXPECT_FALSE(decodeEmailBody(
      R"({"subject":"s","text":"t","attachments":[{"filename":"a","base64":"Zm9"}]})"));
}

}  // namespace
}  // namespace cohortwatch::channels
