// neighproxy native addon: AF_PACKET RX/TX rings for the TypeScript policy core.
// Placeholder entry point; the ring engine lands with issue 2.
#include <napi.h>

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

NODE_API_MODULE(neighproxy, Init)
