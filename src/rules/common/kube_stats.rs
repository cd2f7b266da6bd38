//! The stats listener kubeGateway's GatewayParameters give the proxy (KGW-015 to 017) and
//! its /stats route (KGW-015, KGW-016).

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

/// Whether a stats block turns on the full /stats route (`enableStatsRoute: true`; absent or
/// null = off). Err: it is not a boolean (a FAIL saying so, KGW-016's; KGW-015 counts it off).
pub(crate) fn stats_route_on(stats: &Node) -> Result<bool, Verdict> {
    boolean(stats.get("enableStatsRoute"), "stats.enableStatsRoute").map(|on| on == Some(true))
}
