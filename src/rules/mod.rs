//! Check step: the rule registry.
//!
//! A rule is one small unit (one file) that carries everything about itself: its ID, title,
//! severity, source, rationale, the predicate in words, the values fix per chart version, the
//! predicate in code and its tests. `helm-harden rules`, `rules ID` and docs/rules.md are
//! generated from these declarations (see `crate::docs`); nothing about a rule is written twice.
//!
//! The spec for every rule is `HARDENING.md` (shipped beside the project as `../shared/`); the
//! kubeGateway rules (KGW-*) are its part K, `HARDENING-KGW.md`.

use crate::parse::model::Model;
use crate::parse::version::Version;
use crate::parse::Doc;

mod common;
pub mod helpers;
#[cfg(test)]
pub mod testing;

mod envoy_001_admin_not_exposed;
mod envoy_002_overload_manager;
mod envoy_003_listener_buffer_limit;
mod envoy_004_upstream_buffer_limit;
mod envoy_005_use_remote_address;
mod envoy_006_request_headers_timeout;
mod envoy_007_stream_idle_timeout;
mod envoy_008_idle_timeout;
mod envoy_009_request_timeout;
mod envoy_010_http2_max_concurrent_streams;
mod envoy_011_http2_stream_window;
mod envoy_012_http2_connection_window;
mod envoy_013_headers_with_underscores;
mod envoy_014_listener_connection_limit;
mod envoy_015_global_connection_limit;
mod envoy_016_normalize_path;
mod envoy_017_merge_slashes;
mod envoy_018_escaped_slashes;
mod envoy_019_xff_trusted_hops;
mod gloo_001_proxy_token_automount;
mod gloo_002_net_bind_service;
mod gloo_003_replace_invalid_routes;
mod gloo_004_validation_rejects_invalid;
mod gloo_005_validation_rejects_warnings;
mod gloo_006_route_short_circuit_warnings;
mod gloo_007_webhook_fails_closed;
mod gloo_008_crd_schemas;
mod gloo_009_header_secret_namespace;
mod gloo_010_kube_destinations_disabled;
mod gloo_011_control_plane_requests;
mod gloo_012_proxy_requests;
mod gloo_013_transformation_validation;
mod gloo_014_discovery_disabled;
mod gloo_015_gzip;
mod gloo_016_eds_warming_timeout;
mod gloo_017_access_logging;
mod gloo_018_access_log_response_flags;
mod gloo_019_proxy_replicas;
mod gloo_020_proxy_pdb;
mod gloo_021_proxy_spread;
mod gloo_022_enterprise_pdbs;
mod gloo_023_control_plane_replicas;
mod gloo_024_leader_election;
mod gloo_025_readiness_probe;
mod gloo_026_liveness_probe;
mod gloo_027_health_check_filter;
mod gloo_028_upstream_health_checks;
mod gloo_029_upstream_outlier_detection;
mod gloo_030_route_retries;
mod gloo_031_proxy_latency;
mod gloo_032_monitoring;
mod gloo_033_prometheus_usedonly;
mod gloo_034_downstream_keepalive;
mod gloo_035_xds_keepalive;
mod gloo_036_upstream_keepalive;
mod hh_001_duplicate_keys;
mod hh_config_expired_suppressions;
mod k8s_001_read_only_root_fs;
mod k8s_002_non_root;
mod k8s_003_no_privilege_escalation;
mod k8s_004_drop_all_capabilities;
mod kgw_001_read_only_root_fs;
mod kgw_002_non_root;
mod kgw_003_no_privilege_escalation;
mod kgw_004_drop_all_capabilities;
mod kgw_005_net_bind_service;
mod kgw_006_seccomp_profile;
mod kgw_007_requests;
mod kgw_008_proxy_replicas;
mod kgw_009_proxy_pdb;
mod kgw_010_proxy_spread;
mod kgw_011_readiness_probe;
mod kgw_012_liveness_probe;
mod kgw_013_graceful_shutdown;
mod kgw_014_token_automount;
mod kgw_015_admin_not_exposed;
mod kgw_016_stats_route;
mod kgw_017_prometheus_usedonly;
mod kgw_018_overload_manager;
mod kgw_019_global_connection_limit;
mod values_001_unknown_key;
mod values_002_other_version_key;
mod values_003_value_type;
mod values_004_duplicate_key;
mod values_005_pruned_field;
mod values_006_refused_value;

/// Every rule, in ID order. A test checks the order and that IDs are unique.
pub static RULES: &[&Rule] = &[
    &envoy_001_admin_not_exposed::RULE,
    &envoy_002_overload_manager::RULE,
    &envoy_003_listener_buffer_limit::RULE,
    &envoy_004_upstream_buffer_limit::RULE,
    &envoy_005_use_remote_address::RULE,
    &envoy_006_request_headers_timeout::RULE,
    &envoy_007_stream_idle_timeout::RULE,
    &envoy_008_idle_timeout::RULE,
    &envoy_009_request_timeout::RULE,
    &envoy_010_http2_max_concurrent_streams::RULE,
    &envoy_011_http2_stream_window::RULE,
    &envoy_012_http2_connection_window::RULE,
    &envoy_013_headers_with_underscores::RULE,
    &envoy_014_listener_connection_limit::RULE,
    &envoy_015_global_connection_limit::RULE,
    &envoy_016_normalize_path::RULE,
    &envoy_017_merge_slashes::RULE,
    &envoy_018_escaped_slashes::RULE,
    &envoy_019_xff_trusted_hops::RULE,
    &gloo_001_proxy_token_automount::RULE,
    &gloo_002_net_bind_service::RULE,
    &gloo_003_replace_invalid_routes::RULE,
    &gloo_004_validation_rejects_invalid::RULE,
    &gloo_005_validation_rejects_warnings::RULE,
    &gloo_006_route_short_circuit_warnings::RULE,
    &gloo_007_webhook_fails_closed::RULE,
    &gloo_008_crd_schemas::RULE,
    &gloo_009_header_secret_namespace::RULE,
    &gloo_010_kube_destinations_disabled::RULE,
    &gloo_011_control_plane_requests::RULE,
    &gloo_012_proxy_requests::RULE,
    &gloo_013_transformation_validation::RULE,
    &gloo_014_discovery_disabled::RULE,
    &gloo_015_gzip::RULE,
    &gloo_016_eds_warming_timeout::RULE,
    &gloo_017_access_logging::RULE,
    &gloo_018_access_log_response_flags::RULE,
    &gloo_019_proxy_replicas::RULE,
    &gloo_020_proxy_pdb::RULE,
    &gloo_021_proxy_spread::RULE,
    &gloo_022_enterprise_pdbs::RULE,
    &gloo_023_control_plane_replicas::RULE,
    &gloo_024_leader_election::RULE,
    &gloo_025_readiness_probe::RULE,
    &gloo_026_liveness_probe::RULE,
    &gloo_027_health_check_filter::RULE,
    &gloo_028_upstream_health_checks::RULE,
    &gloo_029_upstream_outlier_detection::RULE,
    &gloo_030_route_retries::RULE,
    &gloo_031_proxy_latency::RULE,
    &gloo_032_monitoring::RULE,
    &gloo_033_prometheus_usedonly::RULE,
    &gloo_034_downstream_keepalive::RULE,
    &gloo_035_xds_keepalive::RULE,
    &gloo_036_upstream_keepalive::RULE,
    &hh_001_duplicate_keys::RULE,
    &hh_config_expired_suppressions::RULE,
    &k8s_001_read_only_root_fs::RULE,
    &k8s_002_non_root::RULE,
    &k8s_003_no_privilege_escalation::RULE,
    &k8s_004_drop_all_capabilities::RULE,
    &kgw_001_read_only_root_fs::RULE,
    &kgw_002_non_root::RULE,
    &kgw_003_no_privilege_escalation::RULE,
    &kgw_004_drop_all_capabilities::RULE,
    &kgw_005_net_bind_service::RULE,
    &kgw_006_seccomp_profile::RULE,
    &kgw_007_requests::RULE,
    &kgw_008_proxy_replicas::RULE,
    &kgw_009_proxy_pdb::RULE,
    &kgw_010_proxy_spread::RULE,
    &kgw_011_readiness_probe::RULE,
    &kgw_012_liveness_probe::RULE,
    &kgw_013_graceful_shutdown::RULE,
    &kgw_014_token_automount::RULE,
    &kgw_015_admin_not_exposed::RULE,
    &kgw_016_stats_route::RULE,
    &kgw_017_prometheus_usedonly::RULE,
    &kgw_018_overload_manager::RULE,
    &kgw_019_global_connection_limit::RULE,
    &values_001_unknown_key::RULE,
    &values_002_other_version_key::RULE,
    &values_003_value_type::RULE,
    &values_004_duplicate_key::RULE,
    &values_005_pruned_field::RULE,
    &values_006_refused_value::RULE,
];

/// HH-CONFIG, whose failures come from the config (expired suppressions), not the render.
pub use hh_config_expired_suppressions::RULE as CONFIG_RULE;

/// The values rules, whose failures come from the user's values files against the chart's
/// values schema ([`crate::check::schema`]), not from the render.
/// Whether a rule judges the user's values (VALUES-*) rather than what the chart makes of them:
/// its findings are about the values files, judged once per run (not again on a hardened
/// render), and no overlay fixes them.
pub fn judges_the_values(id: &str) -> bool {
    [
        &VALUES_UNKNOWN_KEY,
        &VALUES_OTHER_VERSION,
        &VALUES_TYPE,
        &VALUES_DUPLICATE_KEY,
        &VALUES_PRUNED_FIELD,
        &VALUES_REFUSED_VALUE,
    ]
    .iter()
    .any(|rule| rule.id == id)
}

pub use values_001_unknown_key::RULE as VALUES_UNKNOWN_KEY;
pub use values_002_other_version_key::RULE as VALUES_OTHER_VERSION;
pub use values_003_value_type::RULE as VALUES_TYPE;
pub use values_004_duplicate_key::RULE as VALUES_DUPLICATE_KEY;
pub use values_005_pruned_field::RULE as VALUES_PRUNED_FIELD;
pub use values_006_refused_value::RULE as VALUES_REFUSED_VALUE;

/// What the fix of rule `id` changes in how traffic is handled, when it does (Kubernetes
/// destinations off, path normalisation, a request timeout, headers with underscores
/// rejected): the overlay, `fix` and review comments say to review it before applying.
pub fn review_before_applying(id: &str) -> Option<&'static str> {
    Some(match id {
        "ENVOY-009" => envoy_009_request_timeout::REVIEW_BEFORE_APPLYING,
        "ENVOY-013" => envoy_013_headers_with_underscores::REVIEW_BEFORE_APPLYING,
        "ENVOY-016" => envoy_016_normalize_path::REVIEW_BEFORE_APPLYING,
        "ENVOY-017" => envoy_017_merge_slashes::REVIEW_BEFORE_APPLYING,
        "ENVOY-018" => envoy_018_escaped_slashes::REVIEW_BEFORE_APPLYING,
        "GLOO-010" => gloo_010_kube_destinations_disabled::REVIEW_BEFORE_APPLYING,
        _ => return None,
    })
}

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id.eq_ignore_ascii_case(id))
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            _ => None,
        }
    }
}

/// Result of one rule on one inspected object (HARDENING.md 1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Fail,
    Pass,
    Na,
    Advisory,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "FAIL",
            Status::Pass => "PASS",
            Status::Na => "NA",
            Status::Advisory => "ADVISORY",
        }
    }
}

/// Which values block a fix goes into, so `{GP}` / `{GW}` in a fix path can be filled in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// Chart-wide keys (`settings.*`, `gateway.*`, `gloo.*`, ...).
    Chart,
    /// A gateway proxy, by rendered name (`gateway-proxy`).
    Proxy(String),
    /// A generated Gateway of a proxy: `ssl` picks `customHttpsGateway` over `customHttpGateway`.
    Gateway { proxy: String, ssl: bool },
}

/// Which values fix a failing outcome.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum OutcomeFix {
    /// The rule's declared fix for the chart version ([`Rule::fixes`]).
    #[default]
    Declared,
    /// No values change fixes this object (the message says what to change instead).
    Nothing,
    /// No values change fixes this object, for this reason (shown as `(no values fix: ...)`
    /// after the message, unless a better place to fix it is known: the user's own bootstrap).
    NothingBecause(String),
    /// What this object needs when the declared fix would not do (the user's values switch
    /// something else off, or the declared fix would break another rule). `path` is as in
    /// [`Fix::path`] (`{GP}` / `{GW}` placeholders); a mapping `value` is merged, and a null
    /// removes the key, as helm does with values files.
    Custom { path: String, value: serde_json::Value },
    /// As `Custom` where the user's values set one of `when_set` (their own list to edit, or a
    /// switch that changes what the fix must be) and none of `unless_set` (a key that takes
    /// precedence over them); elsewhere the declared fix.
    WhereSet {
        when_set: Vec<String>,
        unless_set: Vec<String>,
        path: String,
        value: serde_json::Value,
    },
}

/// One result of a rule.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    pub status: Status,
    /// The inspected object.
    pub doc: &'a Doc,
    /// What was found (FAIL), why it passes, or why the rule does not apply (NA).
    pub message: String,
    pub target: Target,
    /// Line in the render the message is about, when narrower than the document.
    pub line: Option<usize>,
    pub fix: OutcomeFix,
}

impl<'a> Outcome<'a> {
    pub fn new(status: Status, doc: &'a Doc, target: Target, message: impl Into<String>) -> Self {
        Outcome {
            status,
            doc,
            message: message.into(),
            target,
            line: None,
            fix: OutcomeFix::Declared,
        }
    }

    #[must_use]
    pub fn at(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    #[must_use]
    pub fn fixed_by(mut self, fix: OutcomeFix) -> Self {
        self.fix = fix;
        self
    }
}

/// Chart versions a fix applies to (inclusive lower bound, exclusive upper bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    pub from: Option<Version>,
    pub until: Option<Version>,
}

impl Versions {
    pub const ALL: Versions = Versions { from: None, until: None };

    pub const fn from(v: Version) -> Versions {
        Versions { from: Some(v), until: None }
    }

    pub const fn until(v: Version) -> Versions {
        Versions { from: None, until: Some(v) }
    }

    /// An unknown version matches every range: the newest fix is then listed first.
    pub fn contains(&self, v: Option<Version>) -> bool {
        let Some(v) = v else { return true };
        self.from.is_none_or(|f| v >= f) && self.until.is_none_or(|u| v < u)
    }
}

/// The Helm value that makes a rule pass, for some chart versions.
///
/// `path` is relative to Gloo's values (the `gloo.` prefix of umbrella charts is added when
/// needed; `global.*` never takes it). Placeholders: `{GP}` = `gatewayProxies.<proxy key>`,
/// `{GW}` = `{GP}.gatewaySettings.customHttpGateway` (or `customHttpsGateway` for the `-ssl`
/// Gateway), `{KG}` = `kubeGateway.gatewayParameters.glooGateway` (the class-default
/// GatewayParameters of kubeGateway mode). `value` is YAML text; a mapping value is merged into
/// whatever is there.
#[derive(Debug, Clone, Copy)]
pub struct Fix {
    pub versions: Versions,
    pub path: &'static str,
    pub value: &'static str,
    /// A values path that sets the same rendered field over `path` (`settings.kubeResourceOverride`
    /// merged over the Settings the chart renders; a key the chart also takes from
    /// `gatewaySettings.options` and would then render twice). When the user's values set it,
    /// the fix goes there instead.
    pub unless_set_at: Option<&'static str>,
}

impl Fix {
    pub const fn new(versions: Versions, path: &'static str, value: &'static str) -> Fix {
        Fix { versions, path, value, unless_set_at: None }
    }

    pub const fn all(path: &'static str, value: &'static str) -> Fix {
        Fix::new(Versions::ALL, path, value)
    }

    #[must_use]
    pub const fn unless_set_at(self, path: &'static str) -> Fix {
        Fix { unless_set_at: Some(path), ..self }
    }

    /// The value (YAML text, checked by a registry test) as JSON, parsed once per distinct text
    /// and shared: a large render repeats the same fix thousands of times.
    pub fn json(&self) -> std::sync::Arc<serde_json::Value> {
        use std::collections::HashMap;
        use std::sync::{Arc, Mutex, OnceLock};
        static PARSED: OnceLock<Mutex<HashMap<&'static str, Arc<serde_json::Value>>>> =
            OnceLock::new();
        let cache = PARSED.get_or_init(Default::default);
        let mut cache = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(self.value)
            .or_insert_with(|| {
                Arc::new(
                    yaml_serde::from_str::<serde_json::Value>(self.value)
                        .unwrap_or(serde_json::Value::Null),
                )
            })
            .clone()
    }
}

pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Where the point comes from (Gloo's production guide, Envoy's edge best practices).
    pub source: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// The predicate in words: what passes, what fails, what "absent" means, when it is NA.
    pub predicate: &'static str,
    /// The fix in words, per chart version (shown by `rules ID`).
    pub fix_doc: &'static str,
    /// Machine-usable fixes; the first whose versions match is used. Empty: not fixable
    /// through values (advisory rules, Upstream CRs, ...).
    pub fixes: &'static [Fix],
    pub check: for<'a> fn(&Model<'a>) -> Vec<Outcome<'a>>,
}

impl Rule {
    /// The fix that applies to a chart version.
    pub fn fix_for(&self, version: Option<Version>) -> Option<&'static Fix> {
        self.fixes.iter().find(|f| f.versions.contains(version))
    }

    /// The first chart version after `version` whose values fix this rule, when `version` has
    /// no values fix (a key the chart gained later).
    pub fn first_fixable_after(&self, version: Version) -> Option<Version> {
        if self.fixable(Some(version)) {
            return None;
        }
        self.fixes.iter().filter_map(|f| f.versions.from).filter(|from| *from > version).min()
    }

    /// Whether Helm values can fix this rule for a chart version.
    pub fn fixable(&self, version: Option<Version>) -> bool {
        self.fix_for(version).is_some()
    }
}

// The id names the rule; its prose and function pointer would only bury it in a debug print.
#[allow(clippy::missing_fields_in_debug)]
impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule").field("id", &self.id).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_sorted_and_documented() {
        let ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted, "RULES must be in ID order without duplicates");
        for r in RULES {
            assert!(
                !r.title.is_empty() && !r.why.is_empty() && !r.predicate.is_empty(),
                "{} lacks docs",
                r.id
            );
            assert!(!r.source.is_empty(), "{} lacks a source", r.id);
            for fix in r.fixes {
                yaml_serde::from_str::<serde_json::Value>(fix.value)
                    .unwrap_or_else(|e| panic!("{}: bad fix value: {e}", r.id));
            }
        }
    }

    #[test]
    fn a_rule_without_a_fix_on_a_version_names_the_first_version_with_one() {
        let v = |text: &str| Version::parse(text).unwrap();
        let spread = find("KGW-010").unwrap();
        assert_eq!(spread.first_fixable_after(v("1.17.38")), Some(v("1.19.0")));
        assert_eq!(spread.first_fixable_after(v("1.22.1")), None, "fixable there");
        assert_eq!(find("KGW-011").unwrap().first_fixable_after(v("1.17.38")), Some(v("1.18.0")));
        assert_eq!(find("KGW-009").unwrap().first_fixable_after(v("1.17.38")), None, "never");
    }

    #[test]
    fn the_catalog_ids_are_all_here() {
        for prefix_count in [("GLOO", 36), ("K8S", 4), ("ENVOY", 19), ("KGW", 19)] {
            for n in 1..=prefix_count.1 {
                let id = format!("{}-{n:03}", prefix_count.0);
                assert!(find(&id).is_some(), "{id} missing");
            }
        }
    }
}
