//! The Envoy container's security context: the user (K8S-002, KGW-002) and Linux capabilities
//! (GLOO-002, K8S-004, KGW-004, KGW-005).

use crate::parse::yaml::Node;
use crate::rules::helpers::{boolean, fail, pass, show, Verdict};

/// `runAsNonRoot` must be true (absent allows root); `user` is the `runAsUser` to name beside it.
pub(crate) fn non_root(run_as_non_root: Option<&Node>, user: Option<&Node>) -> Verdict {
    match boolean(run_as_non_root, "runAsNonRoot") {
        Ok(Some(true)) => match user {
            Some(u) => pass(format!("runAsNonRoot is true, runAsUser {}", show(Some(u)))),
            None => pass("runAsNonRoot is true"),
        },
        Ok(Some(false)) => fail("runAsNonRoot is false"),
        Ok(None) => fail("runAsNonRoot is absent (root allowed)"),
        Err(not_boolean) => not_boolean,
    }
}

/// Whether a capability name is NET_BIND_SERVICE (with or without `CAP_`, any case).
pub(crate) fn is_net_bind(cap: &str) -> bool {
    let cap = cap.trim().to_ascii_uppercase();
    cap == "NET_BIND_SERVICE" || cap == "CAP_NET_BIND_SERVICE"
}

/// The names in a capability list (`capabilities.drop`, `capabilities.add`); absent: none.
pub(crate) fn capability_names(list: Option<&Node>) -> Vec<String> {
    list.map(Node::items).unwrap_or_default().iter().filter_map(Node::scalar_text).collect()
}

/// The test of K8S-004 and KGW-004: `dropped` contains `ALL`, and `extra` (the added
/// capabilities other than NET_BIND_SERVICE, which GLOO-002 and KGW-005 judge) is empty.
pub(crate) fn drops_all(dropped: &[String], extra: &[String]) -> Verdict {
    if !all_dropped(dropped) {
        return if dropped.is_empty() {
            fail("capabilities.drop is absent (no capability dropped)")
        } else {
            fail(format!("capabilities.drop is [{}], not ALL", dropped.join(", ")))
        };
    }
    if !extra.is_empty() {
        return fail(format!("capabilities.add adds {}", extra.join(", ")));
    }
    pass("capabilities.drop contains ALL")
}

/// Whether the dropped capabilities include `ALL`.
pub(crate) fn all_dropped(dropped: &[String]) -> bool {
    dropped.iter().any(|d| d == "ALL")
}
