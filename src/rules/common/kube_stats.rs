//! The stats listener kubeGateway's GatewayParameters give the proxy (KGW-015 to 017).

use crate::parse::model::Model;
use crate::parse::yaml::Node;
use crate::rules::helpers::{boolean, each_gateway_parameters, Verdict};
use crate::rules::Outcome;

/// Applies `judge` to the `stats` block of every kubeGateway GatewayParameters whose stats
/// listener is on (`stats.enabled: true`); where it is off, the verdict is `off`, and a
/// non-boolean `enabled` FAILs.
pub(crate) fn each_stats_listener<'a>(
    m: &Model<'a>,
    off: Verdict,
    mut judge: impl FnMut(&Node) -> Verdict,
) -> Vec<Outcome<'a>> {
    each_gateway_parameters(m, |_, kube| {
        let stats = kube.get("stats").unwrap_or(Node::null());
        match boolean(stats.get("enabled"), "stats.enabled") {
            Err(not_boolean) => not_boolean,
            Ok(None | Some(false)) => off.clone(),
            Ok(Some(true)) => judge(stats),
        }
    })
}
