//! The Envoy bootstrap's static runtime (ENVOY-014, ENVOY-015).

use crate::parse::yaml::{Node, Value};
use std::collections::BTreeMap;

/// The static layers of a bootstrap's `layered_runtime`, flattened to dotted keys (`a.b.c`),
/// later layers and later duplicate keys winning.
pub(crate) fn static_runtime(bootstrap: &Node) -> BTreeMap<String, &Node> {
    fn flatten<'n>(prefix: &str, node: &'n Node, out: &mut BTreeMap<String, &'n Node>) {
        match &node.value {
            Value::Map(entries) => {
                for (i, entry) in entries.iter().enumerate() {
                    // A key repeated later in the same mapping is replaced by the later one.
                    if entries[i + 1..].iter().any(|e| e.key == entry.key) {
                        continue;
                    }
                    let key = if prefix.is_empty() {
                        entry.key.to_string()
                    } else {
                        format!("{prefix}.{}", entry.key)
                    };
                    flatten(&key, &entry.value, out);
                }
            }
            _ => {
                out.insert(prefix.to_string(), node);
            }
        }
    }
    let mut out = BTreeMap::new();
    for layer in bootstrap.path("layered_runtime.layers").map(Node::items).unwrap_or_default() {
        if let Some(static_layer) = layer.get("static_layer") {
            flatten("", static_layer, &mut out);
        }
    }
    out
}

/// A runtime value as an integer (runtime accepts numbers and numeric strings).
pub(crate) fn runtime_int(node: &Node) -> Option<i64> {
    node.as_i64().or_else(|| node.as_str().and_then(|s| s.trim().parse().ok())).or(
        match node.value {
            Value::Float(f) if f.is_finite() && f.fract() == 0.0 => Some(f as i64),
            _ => None,
        },
    )
}
