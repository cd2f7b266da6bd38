//! GLOO-014: the discovery Deployment is not installed.

use super::helpers::chart_anchor;
use super::{Fix, Outcome, Rule, Severity, Status, Target};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-014",
    title: "Discovery disabled",
    severity: Severity::Low,
    source: "Gloo production guide (Latest) \"Discovery\": \"you can get better performances on \
        the control-plane if you disable the Upstream and Function discovery\" \
        (`discovery.enabled: false`)",
    why: "Discovery costs control-plane performance and is one more component reading the whole \
        cluster.",
    predicate: "PASS when the render has no `Deployment` labelled `gloo: discovery` (or named \
        `discovery`); each such Deployment FAILs.",
    fix_doc: "All versions: `discovery.enabled: false` (the 1.22 default). Upstreams are then no \
        longer created automatically for Services, and function discovery (FDS) stops: create \
        Upstreams yourself.",
    fixes: &[Fix::all("discovery.enabled", "false")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let found: Vec<Outcome<'a>> = m
        .of_kind("Deployment")
        .filter(|d| {
            d.embedded_in.is_none()
                && (d.label("gloo") == Some("discovery") || d.name == "discovery")
        })
        .map(|d| {
            Outcome::new(
                Status::Fail,
                d,
                Target::Chart,
                format!("discovery Deployment {} is rendered", d.name),
            )
        })
        .collect();
    if !found.is_empty() {
        return found;
    }
    chart_anchor(m)
        .map(|doc| Outcome::new(Status::Pass, doc, Target::Chart, "no discovery Deployment"))
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gloo, statuses};
    use crate::rules::Status::*;

    fn deployment(name: &str, label: &str) -> String {
        format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: gloo-system\n  labels:\n    gloo: {label}\nspec: {{}}\n")
    }

    #[test]
    fn fails_when_discovery_is_rendered() {
        assert_eq!(
            statuses(&RULE, &(gloo("", "") + &deployment("discovery", "discovery")), "1.17.38"),
            [Fail]
        );
        assert_eq!(
            statuses(&RULE, &(gloo("", "") + &deployment("my-discovery", "discovery")), "1.17.38"),
            [Fail],
            "by label"
        );
        assert_eq!(
            statuses(&RULE, &(gloo("", "") + &deployment("discovery", "other")), "1.17.38"),
            [Fail],
            "by name"
        );
    }

    #[test]
    fn passes_without_discovery() {
        assert_eq!(statuses(&RULE, &gloo("", ""), "1.22.1"), [Pass]);
        let service = "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: discovery\n  labels:\n    gloo: discovery\n";
        assert_eq!(
            statuses(&RULE, &(gloo("", "") + service), "1.22.1"),
            [Pass],
            "only Deployments count"
        );
    }
}
