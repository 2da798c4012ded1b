// The built-in vocabulary of the synthetic data generator: outcome codes with their methodology
// groups, disposal mixes, offence codes, and small lists of common (invented, never real) names.
// Weights are relative integers; only the generator uses this header.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace cohortwatch::generator::catalogue {

enum class OutcomeType : std::uint8_t {
  kYouthCaution,
  kYouthConditionalCaution,
  kAbsoluteDischarge,
  kConditionalDischarge,
  kFine,
  kCompensationOrder,
  kReparationOrder,
  kReferralOrder,
  kYouthRehabilitationOrder,
  kOtherCourt,
  kDetentionTrainingOrder,
  kCustodialSentence,
  kReleaseFromCustody,
  kCommunityResolution,
  kOutcome22,
  kNoFurtherAction,
  kTriage,
};

// Indexed by OutcomeType; the canonical outcome_type codes of DOMAIN.md.
inline constexpr std::array<std::string_view, 17> kOutcomeCodes = {"youth_caution",
                                                                   "youth_conditional_caution",
                                                                   "absolute_discharge",
                                                                   "conditional_discharge",
                                                                   "fine",
                                                                   "compensation_order",
                                                                   "reparation_order",
                                                                   "referral_order",
                                                                   "youth_rehabilitation_order",
                                                                   "other_court",
                                                                   "detention_training_order",
                                                                   "custodial_sentence",
                                                                   "release_from_custody",
                                                                   "community_resolution",
                                                                   "outcome_22",
                                                                   "no_further_action",
                                                                   "triage"};

inline constexpr std::string_view outcomeCode(OutcomeType type) {
  return kOutcomeCodes[static_cast<std::size_t>(type)];
}
inline constexpr bool isCustodial(OutcomeType type) {
  return type == OutcomeType::kDetentionTrainingOrder || type == OutcomeType::kCustodialSentence;
}
inline constexpr bool isNonSubstantive(OutcomeType type) {
  return type >= OutcomeType::kCommunityResolution;
}

struct WeightedOutcome {
  OutcomeType type;
  std::uint32_t weight;
};

// First disposal of a child (per mille): cautions 40%, referral orders 25%, YROs 12%, other first
// tier 10%, custody 5%, non-substantive 8% (no cohort entry).
inline constexpr std::array<WeightedOutcome, 16> kFirstDisposalMix = {{
    {OutcomeType::kYouthCaution, 250},
    {OutcomeType::kYouthConditionalCaution, 150},
    {OutcomeType::kReferralOrder, 250},
    {OutcomeType::kYouthRehabilitationOrder, 120},
    {OutcomeType::kAbsoluteDischarge, 10},
    {OutcomeType::kConditionalDischarge, 30},
    {OutcomeType::kFine, 30},
    {OutcomeType::kCompensationOrder, 10},
    {OutcomeType::kReparationOrder, 10},
    {OutcomeType::kOtherCourt, 10},
    {OutcomeType::kDetentionTrainingOrder, 40},
    {OutcomeType::kCustodialSentence, 10},
    {OutcomeType::kCommunityResolution, 30},
    {OutcomeType::kTriage, 20},
    {OutcomeType::kOutcome22, 20},
    {OutcomeType::kNoFurtherAction, 10},
}};

// A later substantive, non-custodial disposal that brings a child into the cohort after an earlier
// non-substantive one.
inline constexpr std::array<WeightedOutcome, 8> kLateEntryMix = {{
    {OutcomeType::kYouthCaution, 300},
    {OutcomeType::kYouthConditionalCaution, 250},
    {OutcomeType::kReferralOrder, 250},
    {OutcomeType::kYouthRehabilitationOrder, 80},
    {OutcomeType::kConditionalDischarge, 40},
    {OutcomeType::kFine, 40},
    {OutcomeType::kReparationOrder, 20},
    {OutcomeType::kOtherCourt, 20},
}};

// Disposal of a further offence (per mille): 90% proving (5% custody), 10% non-substantive.
inline constexpr std::array<WeightedOutcome, 16> kFurtherDisposalMix = {{
    {OutcomeType::kReferralOrder, 200},
    {OutcomeType::kYouthRehabilitationOrder, 220},
    {OutcomeType::kFine, 140},
    {OutcomeType::kConditionalDischarge, 60},
    {OutcomeType::kAbsoluteDischarge, 10},
    {OutcomeType::kCompensationOrder, 20},
    {OutcomeType::kReparationOrder, 20},
    {OutcomeType::kOtherCourt, 20},
    {OutcomeType::kYouthCaution, 80},
    {OutcomeType::kYouthConditionalCaution, 80},
    {OutcomeType::kDetentionTrainingOrder, 40},
    {OutcomeType::kCustodialSentence, 10},
    {OutcomeType::kCommunityResolution, 40},
    {OutcomeType::kOutcome22, 30},
    {OutcomeType::kNoFurtherAction, 20},
    {OutcomeType::kTriage, 10},
}};

// Synthetic Home Office style codes. Gravity is drawn in [gravityLow, gravityHigh]; the weights
// keep most offences at gravity 1-3.
struct OffenceKind {
  std::string_view code;
  std::string_view description;
  int gravityLow;
  int gravityHigh;
  std::uint32_t weight;
};

inline constexpr std::array<OffenceKind, 17> kOffenceKinds = {{
    {"HO 046/01", "Theft from a shop or stall", 1, 2, 160},
    {"HO 058/04", "Criminal damage, value under £5,000", 2, 3, 120},
    {"HO 105/01", "Common assault", 2, 3, 120},
    {"HO 008/01", "Assault occasioning actual bodily harm", 4, 5, 80},
    {"HO 092/19", "Possession of cannabis", 1, 1, 90},
    {"HO 092/21", "Possession with intent to supply a controlled drug, class A", 5, 6, 40},
    {"HO 034/01", "Robbery of personal property", 6, 7, 40},
    {"HO 028/01", "Burglary in a dwelling", 5, 6, 40},
    {"HO 048/01", "Taking a motor vehicle without consent", 2, 3, 40},
    {"HO 037/02", "Aggravated vehicle taking", 3, 4, 20},
    {"HO 010/17", "Possession of a bladed article in a public place", 4, 5, 60},
    {"HO 066/12", "Using threatening, abusive or insulting words or behaviour", 2, 2, 80},
    {"HO 054/01", "Handling stolen goods", 2, 3, 30},
    {"HO 802/01", "Driving without insurance", 1, 2, 40},
    {"HO 104/20", "Sending a communication that is \"grossly offensive\"", 2, 3, 20},
    {"HO 005/01", "Wounding with intent to cause grievous bodily harm", 7, 8, 10},
    {"HO 056/01", "Arson endangering life", 7, 8, 10},
}};

// Breaches of an order or licence (breach=true).
inline constexpr std::array<OffenceKind, 3> kBreachKinds = {{
    {"HO 153/07", "Breach of a youth rehabilitation order", 2, 3, 50},
    {"HO 153/12", "Failure to comply with a referral order contract", 2, 2, 35},
    {"HO 153/20", "Breach of supervision requirements of a detention and training order", 3, 3, 15},
}};

// Invented name lists (common given names and surnames, none taken from any record). Some need
// CSV quoting (a nickname in double quotes) and some are not ASCII.
inline constexpr std::array<std::string_view, 32> kMaleFirstNames = {
    "Oliver",    "Harry",  "Jack",   "Charlie", "Thomas", "James",
    "Mohammed",  "Noah",   "Leo",    "Alfie",   "Jayden", "Kai",
    "Tyler",     "Callum", "Connor", "Kyle",    "Reece",  "Liam",
    "Seán",      "José",   "Łukasz", "Kacper",  "Kwame",  "Aarav",
    "Ibrahim",   "Jamal",  "Dylan",  "Riley",   "Mason",  "Alexander \"Alex\"",
    "Oluwaseun", "Declan"};

inline constexpr std::array<std::string_view, 30> kFemaleFirstNames = {"Olivia",
                                                                       "Amelia",
                                                                       "Isla",
                                                                       "Ava",
                                                                       "Mia",
                                                                       "Sophie",
                                                                       "Zoë",
                                                                       "Aoife",
                                                                       "Niamh",
                                                                       "Renée",
                                                                       "Chantelle",
                                                                       "Jade",
                                                                       "Shannon",
                                                                       "Leah",
                                                                       "Ellie",
                                                                       "Amara",
                                                                       "Zainab",
                                                                       "Aisha",
                                                                       "Maja",
                                                                       "Grace",
                                                                       "Megan",
                                                                       "Chloé",
                                                                       "Rebecca \"Becky\"",
                                                                       "Kayleigh",
                                                                       "Precious",
                                                                       "Nadia",
                                                                       "Jasmine",
                                                                       "Lily",
                                                                       "Freya",
                                                                       "Aaliyah"};

inline constexpr std::array<std::string_view, 48> kLastNames = {
    "Smith",    "Jones",     "Williams",       "Taylor",     "Brown",    "Davies",   "Evans",
    "Wilson",   "Thomas",    "Johnson",        "Roberts",    "Robinson", "Thompson", "Wright",
    "Walker",   "White",     "Edwards",        "Hughes",     "Green",    "Hall",     "Lewis",
    "Harris",   "Clarke",    "Patel",          "Khan",       "Ahmed",    "Ali",      "Begum",
    "Okafor",   "Mensah",    "Nowak",          "Kowalski",   "O'Brien",  "O'Connor", "McCarthy",
    "Müller",   "Sørensen",  "Nguyen",         "Doherty",    "Campbell", "Murphy",   "Kelly",
    "Da Silva", "Fernández", "Ó Súilleabháin", "Walsh-Ryan", "Byrne",    "Mahmood"};

inline constexpr std::array<std::string_view, 5> kTeams = {"North", "South", "East", "West",
                                                           "Central"};

inline constexpr std::array<std::string_view, 4> kGenders = {"male", "female", "other", "unknown"};
inline constexpr std::array<std::uint32_t, 4> kGenderWeights = {800, 180, 5, 15};

inline constexpr std::array<std::string_view, 6> kEthnicities = {"White", "Black", "Asian",
                                                                 "Mixed", "Other", "Unknown"};
inline constexpr std::array<std::uint32_t, 6> kEthnicityWeights = {680, 110, 90, 80, 20, 20};

// Age at the first index event (per mille), ages 10..17.
inline constexpr std::array<std::uint32_t, 8> kEntryAgeWeights = {15,  25,  40,  80,
                                                                  140, 200, 240, 260};

}  // namespace cohortwatch::generator::catalogue
