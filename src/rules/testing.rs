//! Test harness for rule files: run one rule on a small hand-written render.

use super::{Rule, Status};
use crate::parse::model::Model;
use crate::parse::parse_stream;
use crate::parse::version::Version;

/// Runs `rule` on `render` (a YAML stream) as chart `version`, returning `(status, "Kind/name")`
/// per outcome.
pub fn outcomes(rule: &Rule, render: &str, version: &str) -> Vec<(Status, String)> {
    outcomes_with_messages(rule, render, version).into_iter().map(|(s, o, _)| (s, o)).collect()
}

/// As [`outcomes`], with each outcome's message.
pub fn outcomes_with_messages(
    rule: &Rule,
    render: &str,
    version: &str,
) -> Vec<(Status, String, String)> {
    let docs = parse_stream(render).unwrap_or_else(|e| panic!("test render does not parse: {e}"));
    let model = Model::new(&docs, Version::parse(version));
    (rule.check)(&model).into_iter().map(|o| (o.status, o.doc.kind_name(), o.message)).collect()
}

/// The fix of each outcome (which values fix it, when it fails).
pub fn fixes(rule: &Rule, render: &str, version: &str) -> Vec<(Status, super::OutcomeFix)> {
    let docs = parse_stream(render).unwrap_or_else(|e| panic!("test render does not parse: {e}"));
    let model = Model::new(&docs, Version::parse(version));
    (rule.check)(&model).into_iter().map(|o| (o.status, o.fix)).collect()
}

/// The statuses only.
pub fn statuses(rule: &Rule, render: &str, version: &str) -> Vec<Status> {
    outcomes(rule, render, version).into_iter().map(|(s, _)| s).collect()
}

/// A render with nothing of Gloo in it: where a rule finds nothing to judge.
pub const NOT_GLOO: &str = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\n";

/// Settings with `fields` in `spec.gateway.validation`.
pub fn validation(fields: &str) -> String {
    settings(&format!("gateway:\n  validation:\n{}", indent(fields, 4)))
}

/// Asserts how `rule` judges a `spec.gateway.validation` key that must be `false` (GLOO-004,
/// GLOO-005), on every chart: `true`, absent (true) and the string `"false"` fail, `false`
/// passes, also with `serverEnabled` absent; with validation off (`serverEnabled: false`, or
/// no block) it fails whatever the key says.
pub fn judges_a_validation_key_that_must_be_false(rule: &Rule, key: &str) {
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let judged = |fields: &str| statuses(rule, &validation(fields), version);
        let on = |value: &str| judged(&format!("serverEnabled: true\n{key}: {value}"));
        assert_eq!(on("true"), [Status::Fail], "{key}: true");
        assert_eq!(judged("serverEnabled: true"), [Status::Fail], "{key} absent = true");
        assert_eq!(on("false"), [Status::Pass]);
        assert_eq!(judged(&format!("{key}: false")), [Status::Pass], "serverEnabled absent");
        assert_eq!(judged(&format!("{key}: \"false\"")), [Status::Fail], "a string");
        let off = format!("serverEnabled: false\n{key}: false");
        assert_eq!(judged(&off), [Status::Fail], "validation off");
        for no_block in ["gateway: {}", "gateway:\n  validation: null"] {
            assert_eq!(statuses(rule, &settings(no_block), version), [Status::Fail], "{no_block}");
        }
    }
}

/// Asserts that a rule on HTTP Gateways is NA on TCP-only Gateways and on a render without any.
pub fn na_without_http_gateways(rule: &Rule) {
    assert_eq!(statuses(rule, &tcp_gateways(""), "1.17.38"), [Status::Na, Status::Na]);
    assert_eq!(statuses(rule, NOT_GLOO, "1.17.38"), [Status::Na]);
}

/// Asserts how a rule on an `httpConnectionManagerSettings` timeout (ENVOY-006 to 009) judges
/// `field` on both generated Gateways, on every chart: without it each is `absent` (what Envoy's
/// default makes of it), `field: set` passes, `0s` and `0ms` (disabled) fail; TCP-only Gateways
/// and a render without Gateways are NA.
pub fn judges_an_hcm_timeout(rule: &Rule, field: &str, set: &str, absent: Status) {
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let on = |value: &str| {
            statuses(rule, &gateways(&hcm(&format!("{field}: {value}")), ""), version)
        };
        assert_eq!(statuses(rule, &gateways("", ""), version), [absent, absent], "{field} absent");
        assert_eq!(on(set), [Status::Pass, Status::Pass], "{field}: {set}");
        for zero in ["0s", "0ms"] {
            assert_eq!(on(zero), [Status::Fail, Status::Fail], "{field}: {zero}");
        }
    }
    na_without_http_gateways(rule);
}

/// Asserts that a rule on the Envoy container is NA on a proxy whose container is not Envoy
/// and on a render without a proxy.
pub fn na_without_an_envoy_container(rule: &Rule) {
    let other = proxy("", "").replace(
        "name: gateway-proxy\n        image: quay.io/solo-io/gloo-envoy-wrapper:1.17.38",
        "name: other\n        image: busybox",
    );
    assert_eq!(statuses(rule, &other, "1.17.38"), [Status::Na]);
    assert_eq!(statuses(rule, NOT_GLOO, "1.17.38"), [Status::Na]);
}

/// Asserts that a rule on the Envoy container (GLOO-012, GLOO-025, GLOO-026) judges that
/// container of each proxy on its own: with `fields` (container fields, as for [`proxy`]) it
/// passes and without them it fails, two proxies get an outcome each, and a sidecar with
/// `fields` does not count.
pub fn judges_each_envoy_container(rule: &Rule, fields: &str) {
    let judged = |render: &str| statuses(rule, render, "1.17.38");
    let bare = proxy("", "");
    assert_eq!(judged(&bare), [Status::Fail], "without {fields}");
    assert_eq!(judged(&proxy("", fields)), [Status::Pass], "{fields}");
    let second = bare.replace("gateway-proxy", "internal-proxy");
    let both = [Status::Pass, Status::Fail];
    assert_eq!(judged(&(proxy("", fields) + &second)), both, "one outcome per proxy");
    let sidecar = format!(
        "      - name: sds\n        image: quay.io/solo-io/sds:1.17.38\n{}",
        indent(fields, 8)
    );
    let with_sidecar = bare.replace("      volumes:\n", &format!("{sidecar}      volumes:\n"));
    assert_eq!(judged(&with_sidecar), [Status::Fail], "a sidecar's {fields}");
}

/// Asserts how an Envoy probe rule (GLOO-025, GLOO-026) judges `probe` (`readinessProbe`,
/// `livenessProbe`): `fields`, which set it, as [`judges_each_envoy_container`] says; a null
/// `probe` and `other` (the other probe alone) fail; NA without an Envoy container.
pub fn judges_an_envoy_probe(rule: &Rule, probe: &str, fields: &str, other: &str) {
    judges_each_envoy_container(rule, fields);
    let judged = |container: &str| statuses(rule, &proxy("", container), "1.17.38");
    assert_eq!(judged(&format!("{probe}: null")), [Status::Fail], "a null {probe}");
    assert_eq!(judged(other), [Status::Fail], "without {probe}: {other}");
    na_without_an_envoy_container(rule);
}

/// Asserts how a KGW probe rule judges `podTemplate.<probe>` (`probe`: its YAML, one line): the
/// chart's default fails, with the probe it passes, and on 1.17 the FAIL names 1.18.
pub fn judges_a_kube_probe(rule: &Rule, probe: &str) {
    assert_eq!(statuses(rule, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Status::Fail]);
    let with = KUBE_DEFAULT.replace("podTemplate:\n", &format!("podTemplate:\n  {probe}\n"));
    assert_eq!(statuses(rule, &gateway_parameters(&with), "1.22.1"), [Status::Pass], "{probe}");
    let out = outcomes_with_messages(rule, &gateway_parameters(KUBE_DEFAULT), "1.17.38");
    assert!(out[0].2.ends_with("arrives in gloo 1.18.0"), "{}", out[0].2);
}

/// A gateway proxy Deployment as the chart renders it, with `{CONTAINER}` extra container
/// fields and `{POD}` extra pod-spec fields left for the test to fill (indent 8 and 6).
pub const PROXY: &str = r"---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: gloo
    gloo: gateway-proxy
    gateway-proxy-id: gateway-proxy
  name: gateway-proxy
  namespace: gloo-system
spec:
  replicas: 1
  selector:
    matchLabels:
      gateway-proxy-id: gateway-proxy
      gateway-proxy: live
  template:
    metadata:
      labels:
        gloo: gateway-proxy
        gateway-proxy-id: gateway-proxy
        gateway-proxy: live
    spec:
      serviceAccountName: gateway-proxy
{POD}
      containers:
      - name: gateway-proxy
        image: quay.io/solo-io/gloo-envoy-wrapper:1.17.38
{CONTAINER}
      volumes:
      - configMap:
          name: gateway-proxy-envoy-config
        name: envoy-config
";

/// Fills [`PROXY`]'s placeholders.
pub fn proxy(pod: &str, container: &str) -> String {
    PROXY.replace("{POD}\n", &indent(pod, 6)).replace("{CONTAINER}\n", &indent(container, 8))
}

/// How `rule` judges (chart 1.17.38) a gateway proxy whose pod and Envoy container have the
/// `securityContext` fields `pod` and `container` (YAML; empty: no `securityContext`): the
/// fixture of the K8S rules.
pub fn with_contexts(rule: &Rule, pod: &str, container: &str) -> Vec<Status> {
    let context = |fields: &str| {
        if fields.is_empty() {
            String::new()
        } else {
            format!("securityContext:\n{}", indent(fields, 2))
        }
    };
    statuses(rule, &proxy(&context(pod), &context(container)), "1.17.38")
}

/// Indents every line of `text` by `n` spaces (empty text stays empty).
pub fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}

/// The Gateway ConfigMap as the chart renders it, with `{HTTP}` for the `httpGateway` block's
/// content and `{OPTIONS}` for listener `spec.options` (both indent 6 inside the embedded text).
pub fn gateways(http: &str, options: &str) -> String {
    let http_block = if http.trim().is_empty() {
        "httpGateway: {}\n".to_string()
    } else {
        format!("httpGateway:\n{}", indent(http, 2))
    };
    let options_block = if options.trim().is_empty() {
        String::new()
    } else {
        format!("options:\n{}", indent(options, 2))
    };
    let gw = |name: &str, port: u32, ssl: bool| {
        format!(
            "    ---\n    apiVersion: gateway.solo.io/v1\n    kind: Gateway\n    metadata:\n      name: {name}\n      namespace: gloo-system\n    spec:\n      bindAddress: \"::\"\n      bindPort: {port}\n{http}{options}      ssl: {ssl}\n      proxyNames:\n      - gateway-proxy\n",
            http = indent(&http_block, 6),
            options = indent(&options_block, 6),
        )
    };
    format!(
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gloo-custom-resource-config\n  namespace: gloo-system\n  labels:\n    gloo: custom-resources\ndata:\n  custom-resources: |\n{}{}",
        gw("gateway-proxy", 8080, false),
        gw("gateway-proxy-ssl", 8443, true)
    )
}

/// [`gateways`] with a `tcpGateway` in place of each `httpGateway`, and `options`.
pub fn tcp_gateways(options: &str) -> String {
    gateways("", options).replace("      httpGateway: {}\n", "      tcpGateway: {}\n")
}

/// Gateway `{HTTP}` content setting `field` (`key: value`) in `httpConnectionManagerSettings`.
pub fn hcm(field: &str) -> String {
    format!("options:\n  httpConnectionManagerSettings:\n    {field}")
}

/// Gateway `{HTTP}` content setting `field` (`key: value`) in `http2ProtocolOptions`.
pub fn h2(field: &str) -> String {
    hcm(&format!("http2ProtocolOptions:\n      {field}"))
}

/// Settings with `spec` content `spec` (indent 2 under `spec:`).
pub fn settings(spec: &str) -> String {
    format!("---\napiVersion: gloo.solo.io/v1\nkind: Settings\nmetadata:\n  name: default\n  namespace: gloo-system\nspec:\n{}", indent(spec, 2))
}

/// The Envoy bootstrap ConfigMap of `gateway-proxy` with `bootstrap` as `envoy.yaml`.
pub fn bootstrap(bootstrap: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gateway-proxy-envoy-config\n  namespace: gloo-system\ndata:\n  envoy.yaml: |\n{}",
        indent(bootstrap, 4)
    )
}

/// The control-plane Deployment with `{CONTAINER}` extra fields of the `gloo` container and
/// `{SPEC}` extra Deployment spec fields (indent 2).
pub fn gloo(spec: &str, container: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    app: gloo\n    gloo: gloo\n  name: gloo\n  namespace: gloo-system\nspec:\n{}  template:\n    spec:\n      containers:\n      - name: gloo\n        image: quay.io/solo-io/gloo:1.17.38\n{}",
        indent(spec, 2),
        indent(container, 8)
    )
}

/// `spec.kube` of the GatewayParameters the charts render with `kubeGateway.enabled: true`
/// (1.22.1; 1.17.38 adds `deployment: {replicas: 1}`).
pub const KUBE_DEFAULT: &str = "service:
  type: LoadBalancer
floatingUserId: false
envoyContainer:
  securityContext:
    allowPrivilegeEscalation: false
    capabilities:
      add:
      - NET_BIND_SERVICE
      drop:
      - ALL
    readOnlyRootFilesystem: true
    runAsNonRoot: true
    runAsUser: 10101
podTemplate:
  extraLabels:
    gloo: kube-gateway
stats:
  enableStatsRoute: true
  enabled: true
  routePrefixRewrite: /stats/prometheus
  statsRoutePrefixRewrite: /stats
";

/// The chart's GatewayClass and its class-default GatewayParameters `gloo-gateway` with `kube`
/// as `spec.kube` (see [`KUBE_DEFAULT`]).
pub fn gateway_parameters(kube: &str) -> String {
    format!(
        "---\nkind: GatewayClass\napiVersion: gateway.networking.k8s.io/v1\nmetadata:\n  name: gloo-gateway\nspec:\n  controllerName: solo.io/gloo-gateway\n  parametersRef:\n    group: gateway.gloo.solo.io\n    kind: GatewayParameters\n    name: gloo-gateway\n    namespace: gloo-system\n{}",
        per_gateway_parameters("gloo-gateway", kube)
    )
}

/// A GatewayParameters `name` in `gloo-system` with `kube` as `spec.kube` (no GatewayClass: a
/// per-Gateway one when beside [`gateway_parameters`]).
pub fn per_gateway_parameters(name: &str, kube: &str) -> String {
    format!(
        "---\nkind: GatewayParameters\napiVersion: gateway.gloo.solo.io/v1alpha1\nmetadata:\n  name: {name}\n  namespace: gloo-system\nspec:\n  kube:\n{}",
        indent(kube, 4)
    )
}

/// An Upstream `name` with `spec` extra fields (indent 2).
pub fn upstream(name: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: gloo.solo.io/v1\nkind: Upstream\nmetadata:\n  name: {name}\n  namespace: gloo-system\nspec:\n  kube:\n    serviceName: {name}\n    serviceNamespace: default\n    servicePort: 8080\n{}",
        indent(spec, 2)
    )
}
