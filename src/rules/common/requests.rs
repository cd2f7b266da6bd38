//! Container resource requests (GLOO-011, GLOO-012, KGW-007).

use crate::parse::yaml::Node;
use crate::rules::helpers::{fail, pass, Verdict};
use crate::rules::OutcomeFix;

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
                let text = crate::rules::helpers::show(Some(q));
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
