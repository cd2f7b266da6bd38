//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).
//!
//! * `tool.driver.rules` is the whole rule registry, in registry order (`ruleIndex` points into
//!   it): title, why, and the check and fix in `help` (text and markdown), straight from the rule
//!   declarations. `helpUri` / `informationUri` point at README's rules section (which links to
//!   docs/rules.md) in the repository named by Cargo.toml's `repository`; while that is unset
//!   they are left out (both are optional, and a made-up URL would be worse than none) — `help`
//!   carries the full text.
//! * One result per failure (passes, NA and advisories are not results). Level from severity:
//!   high → `error`, medium and low → `warning` (low failures fail the default `--fail-on low`
//!   gate, so they are not mere notes), info → `note`. The same mapping drives `--format github`.
//! * Location (`report::location::place`): the values-file line the fix goes on; else the chart
//!   template that renders the object, at line 1 (the object's line is a line of the render, not
//!   of the template, and GitHub code scanning needs a `region.startLine`); else the values file
//!   or the chart, at line 1. HH-CONFIG (an expired suppression) sits on the suppression's line
//!   in the config file. Relative paths stay relative (to the working directory, which in
//!   a workflow is the checkout); absolute ones become `file://` URIs, as code scanning wants.
//!   Every result also has a logical location `Kind/namespace/name` naming the object.
//! * `partialFingerprints["helmHarden/v1"]`: FNV-1a 64 (hex) of `rule`, target label, object
//!   `apiVersion`, `kind`, `namespace`, `name`, `embedded_in` and the fix's values path, joined
//!   with NUL. No line numbers and no message text, so an alert keeps its identity when lines
//!   move or wording changes.
//! * Suppressed failures (config) are results with `suppressions: [{kind: external,
//!   justification: <reason>}]`.
//! * Several targets are one run; each result names its target in `properties.target`.
//! * Bidi controls in strings are written as `\u` escapes, as in the JSON report
//!   ([`crate::escape::json_text`]).

use super::location::{self, object_name, Place};
use crate::check::{CheckReport, Finding};
use crate::rules::{Rule, Severity, RULES};
use serde_json::{json, Value};

/// The `$schema` (and `id`) of the official SARIF 2.1.0 schema (OASIS, errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Name of the fingerprint in `partialFingerprints`; bump the suffix if the recipe changes.
pub const FINGERPRINT_KEY: &str = "helmHarden/v1";

/// SARIF level (and annotation level) of a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "note",
    }
}

/// The repository (Cargo.toml `repository`), when set.
fn repository() -> Option<&'static str> {
    Some(env!("CARGO_PKG_REPOSITORY").trim_end_matches('/')).filter(|r| !r.is_empty())
}

/// The SARIF document as text, bidi controls written as `\u` escapes like the JSON report's.
pub fn render(reports: &[CheckReport]) -> String {
    let mut out = crate::escape::json_text(
        serde_json::to_string_pretty(&document(reports)).unwrap_or_default(),
    );
    out.push('\n');
    out
}

pub fn document(reports: &[CheckReport]) -> Value {
    let mut driver = json!({
        "name": "helm-harden",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": RULES.iter().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
    });
    if let Some(repo) = repository() {
        driver["informationUri"] = json!(repo);
    }
    let results: Vec<Value> =
        reports.iter().flat_map(|r| location::failures(r).map(move |f| result(r, f))).collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn rule_descriptor(rule: &Rule) -> Value {
    let mut d = json!({
        "id": rule.id,
        "name": pascal_case(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.why},
        "help": {"text": help_text(rule), "markdown": help_markdown(rule)},
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": {
            "tags": ["security", "helm", "gloo"],
            "precision": "high",
            // GitHub code scanning ranks security alerts by this CVSS-like score.
            "security-severity": security_severity(rule.severity),
        },
    });
    if let Some(repo) = repository() {
        d["helpUri"] = json!(format!("{repo}#rules"));
    }
    d
}

/// `Listener buffer limit <= 32 KiB` → `ListenerBufferLimit32KiB`: SARIF's `name` is an
/// identifier-like name for the rule.
fn pascal_case(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn help_text(rule: &Rule) -> String {
    format!(
        "{}\n\nChecks: {}\n\nFix: {}\n\nSource: {}\n\nMore: helm-harden rules {}",
        rule.why, rule.predicate, rule.fix_doc, rule.source, rule.id
    )
}

fn help_markdown(rule: &Rule) -> String {
    format!(
        "**{} — {}** (severity {})\n\n{}\n\n**Checks:** {}\n\n**Fix:** {}\n\n**Source:** {}\n\nRun `helm-harden rules {}` for the values fix per chart version.",
        rule.id,
        rule.title,
        rule.severity.as_str(),
        rule.why,
        rule.predicate,
        rule.fix_doc,
        rule.source,
        rule.id
    )
}

fn result(report: &CheckReport, f: &Finding) -> Value {
    let object = object_name(&f.object);
    let mut logical =
        json!({"name": f.object.name, "fullyQualifiedName": object, "kind": "resource"});
    if let Some(embedded) = &f.object.embedded_in {
        logical["properties"] = json!({"embeddedIn": embedded});
    }
    let mut loc = json!({"logicalLocations": [logical]});
    if let Some(Place { file, line }) = location::place(report, f) {
        loc["physicalLocation"] = json!({
            "artifactLocation": {"uri": uri_reference(&file)},
            "region": {"startLine": line.unwrap_or(1).max(1)},
        });
    }
    let mut r = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "kind": "fail",
        "message": {"text": format!("{object}: {} {}", f.message, location::fix_sentence(f))},
        "locations": [loc],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(report, f)},
        "properties": {"severity": f.severity.as_str()},
    });
    // Every finding's rule is in the registry; were one not, no index rather than a wrong one.
    if let (Some(index), Some(fields)) =
        (RULES.iter().position(|r| r.id == f.rule), r.as_object_mut())
    {
        fields.shift_insert(1, "ruleIndex".into(), json!(index));
    }
    if let Some(target) = &report.target {
        r["properties"]["target"] = json!(target);
    }
    if let Some(fix) = &f.fix {
        r["properties"]["valuesPath"] = json!(fix.values_path);
        r["properties"]["value"] = (*fix.value).clone();
    }
    if let Some(reason) = &f.suppressed {
        r["suppressions"] =
            json!([{"kind": "external", "status": "accepted", "justification": reason}]);
    }
    // SARIF's own comparison with a baseline (`--base`): code scanning reads it.
    match f.change {
        Some(crate::check::Change::New) => r["baselineState"] = json!("new"),
        Some(crate::check::Change::Existing) => r["baselineState"] = json!("unchanged"),
        None => {}
    }
    r
}

/// Writes `text` to `path` for `--sarif-file`, atomically ([`crate::report::output::write_atomically`]).
/// A directory is never replaced, nor anything else but a regular file, nor one of `inputs`.
pub fn write_file(
    path: &std::path::Path,
    text: &str,
    inputs: &[&std::path::Path],
) -> crate::error::Result<()> {
    use crate::error::Error;
    if path.is_dir() {
        return Err(Error::in_file(path, "is a directory; --sarif-file needs a file path"));
    }
    crate::report::output::write_atomically(path, text, "cannot write the SARIF file", inputs)
}

/// The stable identity of a finding (see the module docs for the recipe).
pub fn fingerprint(report: &CheckReport, f: &Finding) -> String {
    let o = &f.object;
    let parts = [
        f.rule,
        report.target.as_deref().unwrap_or(""),
        &o.api_version,
        &o.kind,
        o.namespace.as_deref().unwrap_or(""),
        &o.name,
        o.embedded_in.as_deref().unwrap_or(""),
        f.fix.as_ref().map_or("", |x| x.values_path.as_str()),
    ];
    format!("{:016x}", fnv1a64(parts.join("\0").as_bytes()))
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// A path as a URI reference: everything but unreserved characters and `/` percent-encoded
/// (a space in a values file name must not make the SARIF invalid); an absolute path as a
/// `file://` URI.
fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 7);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_vectors() {
        // From the FNV reference test suite.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri_reference("values/prod values.yaml"), "values/prod%20values.yaml");
        assert_eq!(uri_reference("charts/gloo/templates/x.yaml"), "charts/gloo/templates/x.yaml");
        assert_eq!(uri_reference("a#b%c"), "a%23b%25c");
        assert_eq!(
            uri_reference("/ci/work/values prod.yaml"),
            "file:///ci/work/values%20prod.yaml"
        );
    }

    #[test]
    fn rule_names_are_identifiers() {
        assert_eq!(pascal_case("Listener buffer limit <= 32 KiB"), "ListenerBufferLimit32KiB");
        assert_eq!(pascal_case("use_remote_address"), "UseRemoteAddress");
        for rule in RULES {
            let name = pascal_case(rule.title);
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
                "{}: {name}",
                rule.id
            );
        }
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "warning");
        assert_eq!(level(Severity::Info), "note");
    }
}
