//! Probes of the proxy: the Envoy container's (GLOO-025, GLOO-026) and what kubeGateway's
//! GatewayParameters give it (KGW-011 to 013).

use crate::parse::model::Model;
use crate::parse::version::Version;
use crate::rules::helpers::{
    each_envoy_container, each_gateway_parameters, fail, no_key_before, pass,
};
use crate::rules::Outcome;

/// The first chart with the kubeGateway probe and graceful-shutdown keys (commit b31586c005).
pub(crate) const PROBE_KEYS_SINCE: Version = Version::new(1, 18, 0);

/// Every proxy's Envoy container has `probe` (`readinessProbe`, `livenessProbe`).
pub(crate) fn envoy_has<'a>(m: &Model<'a>, probe: &str) -> Vec<Outcome<'a>> {
    each_envoy_container(m, |_, c| match c.get(probe).filter(|n| !n.is_null()) {
        Some(_) => pass(format!("the Envoy container has a {probe}")),
        None => fail(format!("the Envoy container has no {probe}")),
    })
}

/// Every kubeGateway GatewayParameters sets `podTemplate.<kind>Probe` (`kind`: `readiness`,
/// `liveness`); on a chart before [`PROBE_KEYS_SINCE`] a FAIL names `key`, the values key that
/// arrives then.
pub(crate) fn kube_has<'a>(m: &Model<'a>, kind: &str, key: &str) -> Vec<Outcome<'a>> {
    each_gateway_parameters(m, |_, kube| {
        let field = format!("podTemplate.{kind}Probe");
        let verdict = match kube.path(&field).filter(|n| !n.is_null()) {
            Some(_) => pass(format!("{field} is set")),
            None => fail(format!("{field} is absent: the proxy has no {kind} probe")),
        };
        no_key_before(m, PROBE_KEYS_SINCE, key, verdict)
    })
}
