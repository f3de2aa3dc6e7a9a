// neighproxy native addon: a flat set of functions over AF_PACKET rings (ring.cc), a load
// generator (generator.cc), a privilege drop that keeps capabilities (caps.cc) and a
// NETLINK_ROUTE socket that moves bytes (netlink.cc). Every
// object, state machine and policy lives in TypeScript.
#include "ring.h"

namespace np { void InitNotify(Napi::Env env, Napi::Object exports); }  // notify.cc

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, np::kAbiVersion));
  np::InitRing(env, exports);
  np::InitGenerator(env, exports);
  np::InitCaps(env, exports);
  np::InitNotify(env, exports);
  np::InitNetlink(env, exports);
  return exports;
}

NODE_API_MODULE(neighproxy, Init)
