// The cohortwatch binary: everything it does lives in the component libraries; see daemon/cli.h.
#include <iostream>

#include "daemon/cli.h"

int main(int argc, char** argv) {
  return cohortwatch::daemon::runCommandLine(argc, argv, std::cout, std::cerr);
}
