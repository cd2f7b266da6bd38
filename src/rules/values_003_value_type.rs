//! VALUES-003: every value is of a type the chart reads there.
//!
//! Made by `check::check` from the values schema, like VALUES-001 (see there).

use super::{Outcome, Rule, Severity};
use crate::parse::model::Model;

pub static RULE: Rule = Rule {
    id: "VALUES-003",
    title: "Every value has the type the chart reads",
    severity: Severity::High,
    source: "helm-harden, from HARDENING.md 1.5 (\"Boolean fields must be YAML booleans\") and \
        Gloo's values reference for each minor",
    why: "A Go template treats any non-empty string as true, so `probes: \"false\"` switches \
        probes on; a scalar where the chart expects a mapping (`stats: true` on 1.13) makes helm \
        fail deep in a template, naming no line of the values file.",
    predicate: "Every value of the user's values files (and `--set` keys) against the type the \
        schema gives its key: a string where the chart reads a boolean, a boolean where it reads \
        a string, a non-numeric string where it reads a number, a scalar or a list where it \
        expects a mapping, a mapping or a scalar where it expects a list. Numbers may be quoted \
        (a template prints them the same). One FAIL per value, at its line. When helm itself \
        fails to render, its error is prefixed with the values line at fault.",
    fix_doc: "Write booleans without quotes (`false`, not `\"false\"`); a switch that became a \
        block takes `enabled:` under it (`stats: {enabled: true}`); quote text a field needs as \
        a string (annotation values).",
    fixes: &[],
    check,
};

/// Nothing in the render: see VALUES-001.
fn check<'a>(_: &Model<'a>) -> Vec<Outcome<'a>> {
    Vec::new()
}
