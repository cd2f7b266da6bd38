//! GLOO-032: advice on the monitoring stack (nothing in the render decides it).

use super::{Outcome, Rule, Severity, Status, Target};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-032",
    title: "Monitoring stack (advice)",
    severity: Severity::Info,
    source:
        "Gloo production guide (Latest) \"Metrics and monitoring\": the bundled Prometheus and \
        Grafana \"are not meant to be used `as-is` in production\"",
    why: "A lost control-plane connection or CPU-throttled Envoy goes unnoticed without \
        production-grade monitoring and alerts.",
    predicate: "Advisory only: one ADVISORY result per render (on the gloo Deployment when \
        rendered). The bundled monitoring stack is configured through Enterprise chart values; \
        nothing in the open-source render can be checked.",
    fix_doc: "Use your own production Prometheus and Grafana rather than the bundled ones \
        (Enterprise: size `prometheus.server.retention` and \
        `prometheus.server.persistentVolume.size` if you keep them). Alert on \
        `envoy_control_plane_connected_state` dropping to 0 and on CPU throttling of the \
        gateway-proxy pods.",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    m.gloo
        .or_else(|| m.docs.first())
        .map(|doc| {
            Outcome::new(
                Status::Advisory,
                doc,
                Target::Chart,
                "monitor with a production Prometheus/Grafana; alert on envoy_control_plane_connected_state and proxy CPU throttling",
            )
        })
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gloo, outcomes, proxy, statuses};
    use crate::rules::Status::*;

    #[test]
    fn always_one_advice() {
        assert_eq!(
            outcomes(&RULE, &(proxy("", "") + &gloo("", "")), "1.17.38"),
            [(Advisory, "Deployment/gloo".to_string())]
        );
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.13.39"), [Advisory]);
    }

    #[test]
    fn an_empty_render_gives_nothing() {
        assert!(statuses(&RULE, "", "1.17.38").is_empty());
    }
}
