//! GLOO-011: the gloo control-plane container requests CPU and memory.

use super::helpers::{fail, pass, Verdict};
use super::{Fix, Outcome, OutcomeFix, Rule, Severity, Target};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-011",
    title: "Control-plane resource requests",
    severity: Severity::Low,
    source: "Gloo production guide (Latest) \"Configure appropriate resource usage\": `gloo.deployment.resources.requests.*`",
    why: "Without requests the control plane is scheduled without reserved capacity and is among the first pods evicted under node pressure.",
    predicate: "The `gloo` container has a CPU and a memory request: `resources.requests.<r>`, or when that key is absent `resources.limits.<r>` (Kubernetes copies a limit into a missing request). A zero quantity counts as no request. NA when the gloo Deployment is not rendered.",
    fix_doc: "All versions: `gloo.deployment.resources.requests.cpu` and `.memory` (the chart defaults to `500m` / `256Mi` while `gloo.deployment.resources` is unset). Setting `gloo.deployment.resources` at all replaces the default block, so `resources: {limits: {memory: 1Gi}}` alone leaves no CPU request. Size with load tests; CPU throttling is the signal to watch.",
    fixes: &[Fix::all("gloo.deployment.resources.requests", "{cpu: 500m, memory: 256Mi}")],
    check,
};

/// Whether a quantity is zero (`0`, `0m`, `0Mi`, `0.0`).
fn is_zero(q: &Node) -> bool {
    q.scalar_text().is_some_and(|t| {
        let number = t.trim().trim_end_matches(|c: char| c.is_ascii_alphabetic());
        number.parse::<f64>().is_ok_and(|n| n == 0.0)
    })
}

/// The requests a container lacks, for the fix at `path` (GLOO-011, GLOO-012): only those, so
/// the user's own stay, each the chart's default or the container's limit for it when it has one
/// (a request above its limit makes the API server reject the pod). Set on passing outcomes too,
/// where it is `Nothing`: `overlay --all` then leaves the user's requests alone.
pub(crate) fn missing_requests(container: &Node, path: &str) -> OutcomeFix {
    let resources = container.get("resources").unwrap_or(Node::null());
    let mut requests = serde_json::Map::new();
    for (r, default) in [("cpu", "500m"), ("memory", "256Mi")] {
        let set =
            |block: &str| resources.path(block).and_then(|q| q.get(r)).filter(|q| !q.is_null());
        let limit = set("limits").filter(|q| !is_zero(q));
        match set("requests") {
            Some(q) if !is_zero(q) => continue,
            None if limit.is_some() => continue, // Kubernetes copies the limit into the request
            _ => {}
        }
        let value = limit.map_or_else(|| default.into(), Node::to_json);
        requests.insert(r.to_string(), value);
    }
    if requests.is_empty() {
        // Both requests there: nothing to add, and the declared defaults could exceed a limit.
        return OutcomeFix::Nothing;
    }
    OutcomeFix::Custom { path: path.to_string(), value: serde_json::Value::Object(requests) }
}

/// CPU and memory requests of a container, as GLOO-011 and GLOO-012 count them.
pub(crate) fn requests_verdict(container: &Node) -> Verdict {
    let resources = container.get("resources").unwrap_or(Node::null());
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for r in ["cpu", "memory"] {
        let request = resources.path("requests").and_then(|q| q.get(r)).filter(|q| !q.is_null());
        let (quantity, from) = match request {
            Some(q) => (Some(q), "request"),
            None => {
                (resources.path("limits").and_then(|q| q.get(r)).filter(|q| !q.is_null()), "limit")
            }
        };
        match quantity {
            Some(q) if !is_zero(q) => {
                let text = super::helpers::show(Some(q));
                found.push(if from == "request" {
                    format!("{r} {text}")
                } else {
                    format!("{r} {text} (from the limit)")
                });
            }
            Some(_) => missing.push(format!("{r} (zero)")),
            None => missing.push(r.to_string()),
        }
    }
    if missing.is_empty() {
        pass(format!("requests {}", found.join(", ")))
    } else {
        fail(format!(
            "no {} request (resources.requests and resources.limits)",
            missing.join(" or ")
        ))
    }
}

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let (Some(gloo), Some(container)) = (m.gloo, m.gloo_container()) else {
        return super::helpers::na_without(m, Vec::new(), "gloo control-plane Deployment");
    };
    let (status, message) = requests_verdict(container);
    vec![Outcome::new(status, gloo, Target::Chart, message)
        .fixed_by(missing_requests(container, "gloo.deployment.resources.requests"))]
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gloo, outcomes_with_messages, settings, statuses};
    use crate::rules::Status::*;

    #[test]
    fn judges_requests_and_limits() {
        let res =
            |r: &str| gloo("", &format!("resources:\n{}", crate::rules::testing::indent(r, 2)));
        assert_eq!(
            statuses(&RULE, &res("requests:\n  cpu: 500m\n  memory: 256Mi"), "1.17.38"),
            [Pass]
        );
        assert_eq!(statuses(&RULE, &gloo("", ""), "1.17.38"), [Fail]);
        assert_eq!(
            statuses(&RULE, &res("limits:\n  memory: 1Gi"), "1.17.38"),
            [Fail],
            "no CPU request"
        );
        assert_eq!(
            statuses(&RULE, &res("limits:\n  cpu: 1\n  memory: 1Gi"), "1.17.38"),
            [Pass],
            "limits are copied into requests"
        );
        assert_eq!(
            statuses(&RULE, &res("requests:\n  cpu: 100m\nlimits:\n  memory: 1Gi"), "1.17.38"),
            [Pass]
        );
        assert_eq!(
            statuses(
                &RULE,
                &res("requests:\n  cpu: 0\n  memory: 256Mi\nlimits:\n  cpu: 1"),
                "1.17.38"
            ),
            [Fail],
            "an explicit zero request is not replaced by the limit"
        );
        assert_eq!(
            statuses(&RULE, &res("requests:\n  cpu: 0m\n  memory: 256Mi"), "1.17.38"),
            [Fail]
        );
        let out = outcomes_with_messages(&RULE, &res("requests:\n  cpu: 500m"), "1.17.38");
        assert_eq!(out[0].2, "no memory request (resources.requests and resources.limits)");
    }

    #[test]
    fn the_fix_adds_only_the_missing_requests_and_none_above_a_limit() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let res =
            |r: &str| gloo("", &format!("resources:\n{}", crate::rules::testing::indent(r, 2)));
        let requests = |value: serde_json::Value| OutcomeFix::Custom {
            path: "gloo.deployment.resources.requests".into(),
            value,
        };
        assert_eq!(
            fixes(&RULE, &gloo("", ""), "1.17.38"),
            [(Fail, requests(serde_json::json!({"cpu": "500m", "memory": "256Mi"})))]
        );
        assert_eq!(
            fixes(&RULE, &res("limits:\n  cpu: 250m"), "1.17.38"),
            [(Fail, requests(serde_json::json!({"memory": "256Mi"})))],
            "the CPU limit is the CPU request"
        );
        assert_eq!(
            fixes(
                &RULE,
                &res("requests:\n  memory: 0\nlimits:\n  cpu: 250m\n  memory: 128Mi"),
                "1.17.38"
            ),
            [(Fail, requests(serde_json::json!({"memory": "128Mi"})))],
            "not above the limit"
        );
    }

    #[test]
    fn not_applicable_without_gloo() {
        assert_eq!(statuses(&RULE, &settings("gloo: {}"), "1.17.38"), [Na]);
    }
}
