// System-call failures become JS Errors whose `.code` is the errno name and whose
// message names the step and the interface, e.g. `bind eth9: ENODEV (no such device)`.
#pragma once
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <string>

namespace np {

inline Napi::Error SysError(Napi::Env env, const char* step, const std::string& ifname, int err) {
  const char* name = strerrorname_np(err);
  std::string code = name ? name : "E" + std::to_string(err);
  std::string text = strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(tolower(text[0]));
  std::string msg = std::string(step) + " " + ifname + ": " + code + " (" + text + ")";
  if (err == EPERM || err == EACCES) msg += "; raw sockets need CAP_NET_RAW (run as root or grant the capability)";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, step));
  return e;
}

// Throws and returns an empty value; callers `return ThrowSys(...)`.
inline Napi::Value ThrowSys(Napi::Env env, const char* step, const std::string& ifname, int err) {
  SysError(env, step, ifname, err).ThrowAsJavaScriptException();
  return env.Undefined();
}

inline Napi::Value ThrowType(Napi::Env env, const std::string& msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace np
