// Dropping root while keeping a few capabilities (CAP_NET_RAW, CAP_NET_ADMIN), so a daemon
// started as root can still open capture rings for interfaces that appear later.
//
// Node cannot do this: without PR_SET_KEEPCAPS, setuid() from uid 0 to non-zero clears
// the permitted set, and Node has no prctl() or capset(). The sequence, in one call:
//   prctl(PR_SET_KEEPCAPS, 1)   keep the permitted set across the uid change
//   setgroups, setresgid, setresuid   glibc wrappers: they apply to EVERY thread (setxid
//                                     broadcast), so no thread stays root
//   capset(permitted = effective = keep, inheritable = 0)   raw syscall: the calling thread
//   prctl(PR_SET_KEEPCAPS, 0), prctl(PR_SET_NO_NEW_PRIVS, 1)
// capset() and the keep-caps flag are per thread. Only the calling (main JS) thread keeps
// the capabilities; other threads (libuv's pool, V8's helpers) end with none, because the
// uid change cleared their permitted sets (their keep-caps flag was not set). A thread that
// opens rings itself (a `workers N` worker) calls caps_keep_across_drop before the drop and
// caps_keep_only after it, and ends with exactly the main thread's set.
// No libcap: two raw syscalls are all it takes.
#include "errors.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cassert>
#include <cstdio>
#include <string>
#include <vector>

namespace np {

namespace {

Napi::Value ThrowStep(Napi::Env env, const std::string& step, int err) {
  const char* name = strerrorname_np(err);
  std::string code = name ? name : "E" + std::to_string(err);
  std::string text = strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(tolower(text[0]));
  Napi::Error e = Napi::Error::New(env, step + ": " + code + " (" + text + ")");
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, step.substr(0, step.find(' '))));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// capget/capset on the calling thread (pid 0), version 3: two 32-bit words per set.
int CapGet(__user_cap_data_struct data[2]) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  return static_cast<int>(syscall(SYS_capget, &hdr, data));
}
int CapSet(__user_cap_data_struct data[2]) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  return static_cast<int>(syscall(SYS_capset, &hdr, data));
}

// The end of a drop on the calling thread: permitted = effective = keep, inheritable
// empty, keep-caps off again, no new privileges for exec'd children. False with an
// exception pending when a step fails.
bool KeepOnly(Napi::Env env, uint32_t keep) {
  __user_cap_data_struct data[2] = {};
  data[0].permitted = data[0].effective = keep;
  if (CapSet(data)) {
    char mask[16];
    snprintf(mask, sizeof mask, "%#x", keep);
    ThrowStep(env, std::string("capset ") + mask, errno);
    return false;
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)) return ThrowStep(env, "prctl PR_SET_KEEPCAPS", errno), false;
  // No exec'd child (ip, getent) can regain privileges through setuid or file capabilities.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return ThrowStep(env, "prctl PR_SET_NO_NEW_PRIVS", errno), false;
  // Invariant: exactly the kept set on this thread.
  __user_cap_data_struct now[2] = {};
  if (CapGet(now)) return ThrowStep(env, "capget", errno), false;
  assert(now[0].effective == keep && now[0].permitted == keep && now[0].inheritable == 0);
  assert(now[1].effective == 0 && now[1].permitted == 0);
  return true;
}

// drop_privileges(uid, gid, gids, keepCaps) -> undefined. keepCaps: bit n = capability n
// (n < 32; CAP_NET_ADMIN 12, CAP_NET_RAW 13). Throws with .code = errno name and a
// message naming the step. On a throw the process may be half switched: exit.
Napi::Value DropPrivileges(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsArray() || !info[3].IsNumber()) {
    return ThrowType(env, "drop_privileges(uid, gid, gids, keepCaps)");
  }
  uid_t uid = info[0].As<Napi::Number>().Uint32Value();
  gid_t gid = info[1].As<Napi::Number>().Uint32Value();
  uint32_t keep = info[3].As<Napi::Number>().Uint32Value();
  Napi::Array arr = info[2].As<Napi::Array>();
  std::vector<gid_t> gids(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) gids[i] = arr.Get(i).As<Napi::Number>().Uint32Value();
  const std::string u = std::to_string(uid), g = std::to_string(gid);

  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) return ThrowStep(env, "prctl PR_SET_KEEPCAPS", errno);
  if (setgroups(gids.size(), gids.data())) return ThrowStep(env, "setgroups " + g, errno);
  if (setresgid(gid, gid, gid)) return ThrowStep(env, "setgid " + g, errno);
  if (setresuid(uid, uid, uid)) return ThrowStep(env, "setuid " + u, errno);

  // The uid change cleared the effective set (and, without keep-caps, would have cleared
  // the permitted set too). Keep exactly `keep`, nothing inheritable.
  if (!KeepOnly(env, keep)) return env.Undefined();

  // Invariant: no id left at root's.
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  getresuid(&ru, &eu, &su);
  getresgid(&rg, &eg, &sg);
  assert(ru == uid && eu == uid && su == uid && rg == gid && eg == gid && sg == gid);
  (void)ru, (void)eu, (void)su, (void)rg, (void)eg, (void)sg;
  return env.Undefined();
}

// caps_keep_across_drop() -> undefined. Another thread (a `workers N` worker) calls this
// BEFORE the main thread's drop_privileges: the keep-caps flag is per thread, and the
// setresuid that glibc broadcasts to every thread clears the permitted set of each
// thread without it, for good (capset cannot add to permitted). It keeps its permitted
// set, with an empty effective set, until it calls caps_keep_only.
Napi::Value CapsKeepAcrossDrop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) return ThrowStep(env, "prctl PR_SET_KEEPCAPS", errno);
  return env.Undefined();
}

// caps_keep_only(keepCaps) -> undefined. After the drop, on a thread that called
// caps_keep_across_drop: the same end as drop_privileges' (exactly `keepCaps`).
Napi::Value CapsKeepOnly(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(env, "caps_keep_only(keepCaps)");
  KeepOnly(env, info[0].As<Napi::Number>().Uint32Value());
  return env.Undefined();
}

}  // namespace

void InitCaps(Napi::Env env, Napi::Object exports) {
  exports.Set("drop_privileges", Napi::Function::New(env, DropPrivileges));
  exports.Set("caps_keep_across_drop", Napi::Function::New(env, CapsKeepAcrossDrop));
  exports.Set("caps_keep_only", Napi::Function::New(env, CapsKeepOnly));
}

}  // namespace np
