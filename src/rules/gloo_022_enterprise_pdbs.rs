//! GLOO-022: Enterprise ExtAuth and rate-limit deployments are protected by PodDisruptionBudgets.

use super::common::pdb::pdb_verdict;
use super::common::replicas::effective_replicas;
use super::{Outcome, Rule, Severity, Target};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-022",
    title: "ExtAuth / rate-limit PDBs (Enterprise)",
    severity: Severity::Info,
    source: "Gloo production guide (Latest) \"Ext-Auth\" and \"Rate Limit\": \
        `global.extensions.extAuth.deployment.podDisruptionBudget`, \
        `global.extensions.rateLimit.deployment.podDisruptionBudget`",
    why: "When every ExtAuth or rate-limit pod is evicted at once, requests that need them are \
        denied or unlimited until they come back.",
    predicate: "For each rendered `Deployment` named `extauth` or `rate-limit`: the PDB test of \
        GLOO-020 (exactly one `policy/v1` PodDisruptionBudget of its namespace selects its pod \
        labels, and it allows a limited disruption given the Deployment's effective replicas). \
        NA when neither Deployment is rendered (open-source chart).",
    fix_doc: "Enterprise chart only: `global.extensions.extAuth.deployment.podDisruptionBudget` \
        and `global.extensions.rateLimit.deployment.podDisruptionBudget` (e.g. `{maxUnavailable: \
        1}`; under `global.`, so never prefixed with `gloo.`). Run several replicas with \
        affinity/anti-affinity, and give several ExtAuth replicas a shared `signingKey`. Not \
        verified against the Enterprise chart.",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let outcomes: Vec<Outcome<'a>> = m
        .of_kind("Deployment")
        .filter(|d| d.embedded_in.is_none() && matches!(d.name.as_str(), "extauth" | "rate-limit"))
        .map(|d| {
            let replicas = effective_replicas(m, d).map_or(1, |r| r.count);
            let (status, message) = pdb_verdict(m, d, replicas);
            Outcome::new(status, d, Target::Chart, message)
        })
        .collect();
    super::helpers::na_without(m, outcomes, "extauth or rate-limit Deployment (Enterprise)")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{outcomes, proxy, statuses};
    use crate::rules::Status::*;

    fn deployment(name: &str, replicas: u32) -> String {
        format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: gloo-system\nspec:\n  replicas: {replicas}\n  template:\n    metadata:\n      labels:\n        gloo: {name}\n    spec:\n      containers:\n      - name: {name}\n        image: quay.io/solo-io/{name}-ee:1.17.0\n")
    }

    fn pdb(name: &str, spec: &str) -> String {
        format!("---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}-pdb\n  namespace: gloo-system\nspec:\n{spec}  selector:\n    matchLabels:\n      gloo: {name}\n")
    }

    #[test]
    fn open_source_renders_are_not_applicable() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na]);
    }

    #[test]
    fn each_deployment_needs_a_usable_pdb() {
        let render = deployment("extauth", 2)
            + &deployment("rate-limit", 2)
            + &pdb("extauth", "  maxUnavailable: 1\n");
        assert_eq!(
            outcomes(&RULE, &render, "1.17.38"),
            [(Pass, "Deployment/extauth".to_string()), (Fail, "Deployment/rate-limit".to_string())]
        );
        let both = render + &pdb("rate-limit", "  minAvailable: 1\n");
        assert_eq!(statuses(&RULE, &both, "1.17.38"), [Pass, Pass]);
    }

    #[test]
    fn a_pdb_that_blocks_evictions_fails() {
        let render = deployment("extauth", 1) + &pdb("extauth", "  minAvailable: 1\n");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Fail]);
        let render = deployment("extauth", 2) + &pdb("extauth", "  maxUnavailable: 0\n");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Fail]);
    }

    #[test]
    fn other_deployments_are_ignored() {
        assert_eq!(statuses(&RULE, &deployment("extauth-sidecar", 1), "1.17.38"), [Na]);
    }
}
