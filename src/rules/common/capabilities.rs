//! Linux capabilities (GLOO-002, KGW-004, KGW-005).

/// Whether a capability name is NET_BIND_SERVICE (with or without `CAP_`, any case).
pub(crate) fn is_net_bind(cap: &str) -> bool {
    let cap = cap.trim().to_ascii_uppercase();
    cap == "NET_BIND_SERVICE" || cap == "CAP_NET_BIND_SERVICE"
}
