//! HH-001: no mapping of the render holds the same key twice.

use super::{Outcome, Rule, Severity, Status, Target};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "HH-001",
    title: "Rendered mappings have no duplicate keys",
    severity: Severity::Medium,
    source: "helm-harden, from HARDENING.md 1.1: real renders can contain duplicate keys in one \
        mapping; \"report a duplicate as a finding instead of silently picking one\"",
    why: "YAML readers disagree on a repeated key (some reject the document, most keep the last \
        value), so the value a rule judged may not be the one the cluster or the proxy applies.",
    predicate: "Every document of the render, including the Gateways and Envoy bootstrap embedded \
        in ConfigMaps: one FAIL per key that appears twice in the same mapping, at the later \
        occurrence (helm-harden, like Kubernetes' reader, judges the later value). No duplicate \
        in the whole render = one PASS.",
    fix_doc: "Remove the value that produces the second key. Known causes in the Gloo charts: the \
        legacy `settings.replaceInvalidRoutes` (renders `replaceInvalidRoutes` twice in Settings \
        `spec.gloo.invalidConfigPolicy`; use `settings.invalidConfigPolicy.replaceInvalidRoutes` \
        instead); an `envoy:` map in `gatewayProxies.<name>.customStaticLayer` on 1.17 (the \
        chart already renders an `envoy:` block of reloadable features in the bootstrap's static \
        layer; 1.13 and 1.22 do not), so put such runtime keys in a single block through \
        `configMap.data` or leave them out; `accessLoggingService` set both in \
        `gatewayProxies.<name>.gatewaySettings.accessLoggingService` and inside \
        `gatewaySettings.options` (keep only the former).",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let mut outcomes: Vec<Outcome<'a>> = m
        .docs
        .iter()
        .flat_map(|doc| {
            doc.duplicates.iter().map(move |d| {
                Outcome::new(
                    Status::Fail,
                    doc,
                    Target::Chart,
                    format!(
                        "duplicate key {} on lines {} and {}: the later value is used",
                        d.path, d.first_line, d.line
                    ),
                )
                .at(d.line)
            })
        })
        .collect();
    if outcomes.is_empty() {
        if let Some(first) = m.docs.first() {
            outcomes.push(Outcome::new(
                Status::Pass,
                first,
                Target::Chart,
                format!("no duplicate keys in {} documents", m.docs.len()),
            ));
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::{check, RULE};
    use crate::parse::model::Model;
    use crate::parse::parse_stream;
    use crate::rules::testing::{bootstrap, outcomes_with_messages, proxy, settings, statuses};
    use crate::rules::Status::*;

    #[test]
    fn a_clean_render_passes_once() {
        let render = proxy("", "") + &settings("gloo: {}");
        let got = outcomes_with_messages(&RULE, &render, "1.17.38");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, Pass);
        assert_eq!(got[0].2, "no duplicate keys in 2 documents");
    }

    #[test]
    fn each_duplicate_fails_with_its_path_and_lines() {
        let render = settings("gloo:\n  invalidConfigPolicy:\n    replaceInvalidRoutes: true\n    replaceInvalidRoutes: false");
        let got = outcomes_with_messages(&RULE, &render, "1.17.38");
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0, got[0].1.as_str()), (Fail, "Settings/default"));
        assert!(
            got[0].2.contains("spec.gloo.invalidConfigPolicy.replaceInvalidRoutes"),
            "{}",
            got[0].2
        );
        assert!(got[0].2.contains("lines 10 and 11"), "{}", got[0].2);
        let docs = parse_stream(&render).unwrap();
        let model = Model::new(&docs, None);
        assert_eq!(check(&model)[0].line, Some(11));
    }

    #[test]
    fn duplicates_in_embedded_documents_count() {
        let b = "layered_runtime:\n  layers:\n  - name: static_layer\n    static_layer:\n      envoy:\n        a: 1\n      envoy:\n        b: 2\n";
        let render = proxy("", "") + &bootstrap(b);
        let got = outcomes_with_messages(&RULE, &render, "1.17.38");
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].0, got[0].1.as_str()),
            (Fail, "EnvoyBootstrap/gateway-proxy-envoy-config")
        );
    }

    #[test]
    fn several_duplicates_give_several_failures() {
        let render = settings("a: 1\na: 2\nb: 1\nb: 2")
            + &settings("c: 1\nc: 2").replace("name: default", "name: other");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Fail, Fail, Fail]);
    }

    #[test]
    fn an_empty_render_gives_nothing() {
        assert!(statuses(&RULE, "", "1.17.38").is_empty());
    }
}
