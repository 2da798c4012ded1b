#include "channels/message.h"

namespace cohortwatch::channels {

const char* toString(Delivery::Status status) {
  switch (status) {
    case Delivery::Status::kDelivered: return "delivered";
    case Delivery::Status::kRetry: return "retry";
    case Delivery::Status::kDead: return "dead";
  }
  return "unknown";
}

}  // namespace cohortwatch::channels
