//! Leader election of the gloo control plane (GLOO-023, GLOO-024).

use crate::parse::model::{env_value, go_truthy};
use crate::parse::yaml::Node;
use serde_json::{json, Map, Value};

const VARIABLE: &str = "DISABLE_LEADER_ELECTION";

/// The chart puts `gloo.deployment.customEnv` in the container's env after its own leading
/// entries (`GLOO_LICENSE_KEY`, and on 1.22 `GOMEMLIMIT` / `GOMAXPROCS` from the limits) and
/// before the rest of its own from `POD_NAMESPACE` on (`DISABLE_LEADER_ELECTION: "true"` among
/// them when `gloo.disableLeaderElection`): the customEnv entries are those in between.
fn custom_env(container: &Node) -> &[Node] {
    const CHART_LEADING: [&str; 3] = ["GLOO_LICENSE_KEY", "GOMEMLIMIT", "GOMAXPROCS"];
    let env = container.get("env").map(Node::items).unwrap_or_default();
    let name = |e: &Node| e.get("name").and_then(Node::as_str).map(str::to_string);
    let chart_end =
        env.iter().position(|e| name(e).as_deref() == Some("POD_NAMESPACE")).unwrap_or(0);
    let custom_start = env[..chart_end]
        .iter()
        .take_while(|e| name(e).is_some_and(|n| CHART_LEADING.contains(&n.as_str())))
        .count();
    &env[custom_start..chart_end]
}

/// customEnv entries that set the variable to a true value.
pub(crate) fn custom_env_entries(container: &Node) -> Vec<&Node> {
    custom_env(container)
        .iter()
        .filter(|e| {
            e.get("name").and_then(Node::as_str) == Some(VARIABLE)
                && e.get("value").and_then(Node::scalar_text).is_some_and(|v| go_truthy(&v))
        })
        .collect()
}

pub(crate) fn custom_env_note(container: &Node) -> &'static str {
    if custom_env_entries(container).is_empty() {
        ""
    } else {
        " (by gloo.deployment.customEnv)"
    }
}

/// The values under `gloo` that turn leader election back on: `disableLeaderElection: false`,
/// and `deployment.customEnv` without its entries for the variable when it has any (helm
/// replaces a list whole, so the fix is the rendered list minus those entries). None when
/// leader election is on.
pub(crate) fn leader_election_values(container: &Node) -> Option<Value> {
    if !env_value(container, VARIABLE).as_deref().is_some_and(go_truthy) {
        return None;
    }
    let mut values = Map::new();
    values.insert("disableLeaderElection".into(), Value::Bool(false));
    if !custom_env_entries(container).is_empty() {
        let kept: Vec<Value> = custom_env(container)
            .iter()
            .filter(|e| e.get("name").and_then(Node::as_str) != Some(VARIABLE))
            .map(Node::to_json)
            .collect();
        values.insert("deployment".into(), json!({ "customEnv": kept }));
    }
    Some(Value::Object(values))
}
