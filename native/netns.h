// Switches the calling thread into a network namespace for the duration of a scope: a
// socket belongs to the namespace it is created in (rings and the netlink socket alike).
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace np {

struct NetnsGuard {
  int orig = -1;
  int err = 0;
  explicit NetnsGuard(const std::string& path) {
    if (path.empty()) return;
    orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (orig < 0) { err = errno; return; }
    int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (target < 0) { err = errno; close(orig); orig = -1; return; }
    if (setns(target, CLONE_NEWNET)) { err = errno; close(orig); orig = -1; }
    close(target);
  }
  ~NetnsGuard() {
    if (orig < 0) return;
    // Staying in the wrong namespace would silently misdirect every later socket.
    if (setns(orig, CLONE_NEWNET)) abort();
    close(orig);
  }
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;
};

}  // namespace np
