{
  # One addon, Linux only: the AF_PACKET ring engine (and a capability-keeping privilege
  # drop). Everything else is TypeScript.
  "targets": [
    {
      "target_name": "neighproxy",
      "sources": [
        "native/addon.cc", "native/ring.cc", "native/generator.cc", "native/caps.cc",
        "native/notify.cc", "native/netlink.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
      "cflags": ["-O2", "-fvisibility=hidden", "-Wall", "-Wextra"],
      "cflags_cc": ["-std=c++17", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
      "conditions": [
        ["OS!='linux'", {
          "sources!": ["native/addon.cc", "native/ring.cc", "native/generator.cc", "native/caps.cc", "native/notify.cc", "native/netlink.cc"],
          "actions": [{
            "action_name": "linux_only",
            "inputs": [], "outputs": ["linux_only"],
            "action": ["sh", "-c", "echo 'neighproxy needs Linux (AF_PACKET)' >&2; exit 1"]
          }]
        }]
      ]
    }
  ]
}
