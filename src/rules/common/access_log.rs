//! Gateway access logs (GLOO-017, GLOO-018).

use crate::parse::yaml::Node;

/// The access-log entries of a Gateway (`spec.options.accessLoggingService.accessLog`).
pub(crate) fn access_log_entries(spec: &Node) -> &[Node] {
    spec.path("options.accessLoggingService.accessLog").map(Node::items).unwrap_or_default()
}
