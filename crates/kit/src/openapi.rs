//! Pieces every service's OpenAPI document shares, and the pass that makes each document say
//! what the server really does, the same way in every service ([`finish`]): one operationId
//! convention, errors as `application/problem+json`, the standard problem responses where
//! they can happen, the shared parameter rules, and a description on every response.

use serde_json::{Map, Value, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

mod examples;

/// Adds the `bearer` (JWT) security scheme the services' paths refer to.
pub struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The document of `service` as served and checked in: `utoipa`'s output with the shared
/// conventions applied.
///
/// - `operationId` is `<service>_<handler>` (unique across the merged document, which
///   generated clients need);
/// - every error response is `application/problem+json` with the `Problem` schema;
/// - the problems that can happen are listed where they can: 400 where a path parameter,
///   query or body is read, 401 and 403 on routes that need a token, 404 where a path names a
///   resource, 429 (gateway rate limits) and 503 (database or a peer unavailable) everywhere;
/// - writes naming a `{customerId}` list 409 (`CUSTOMER_INACTIVE`);
/// - `customerId` path parameters carry their pattern, `limit` its bounds, `cursor` and
///   `Idempotency-Key` their lengths;
/// - every response has a description;
/// - every request body and response has an example ([`examples`]).
pub fn finish(service: &str, doc: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    // Every service serves its audit log from the kit.
    let (audit_path, audit_op) = crate::audit::openapi_path(service);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        paths.insert(audit_path, audit_op);
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            refuse_controls(schema);
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for method in METHODS {
                if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                    finish_operation(service, path, method, op);
                }
            }
        }
    }
    examples::add(&mut doc);
    doc
}

fn finish_operation(service: &str, path: &str, method: &str, op: &mut Map<String, Value>) {
    if let Some(id) = op.get("operationId").and_then(Value::as_str) {
        let prefix = format!("{}_", service.replace('-', "_"));
        if !id.starts_with(&prefix) {
            op.insert("operationId".into(), json!(format!("{prefix}{id}")));
        }
    }
    let has_params = path.contains('{');
    let mut reads_input = has_params;
    let mut idempotent = false;
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params.iter_mut() {
            reads_input |= p["in"] == "query";
            idempotent |= p["in"] == "header" && p["name"] == "Idempotency-Key";
            shape_parameter(p);
        }
    }
    // A write with no body (mark all read, a logout) still resolves its customer.
    let writes = method != "get";
    let has_body = op.contains_key("requestBody");
    reads_input |= has_body;
    let secured = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else { return };
    for (status, res) in responses.iter_mut() {
        let Some(res) = res.as_object_mut() else {
            continue;
        };
        let code: u16 = status.parse().unwrap_or(0);
        if code >= 400 {
            res.insert("content".into(), problem_content());
        }
        let missing = res
            .get("description")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if missing {
            res.insert("description".into(), json!(default_description(code)));
        }
    }
    let mut standard = vec![(429, "RATE_LIMITED (at the gateway), with Retry-After")];
    standard.push((
        503,
        "DATABASE_UNAVAILABLE or SERVICE_UNAVAILABLE (a service it needs), with Retry-After",
    ));
    if reads_input {
        standard.push((400, "VALIDATION_FAILED or MALFORMED_JSON, naming the field"));
        standard.push((414, "URI_TOO_LONG: the request target is over 8 KiB"));
    }
    if has_body {
        standard.push((413, "PAYLOAD_TOO_LARGE: the body is over 64 KiB"));
        standard.push((
            415,
            "UNSUPPORTED_MEDIA_TYPE: the body is not application/json",
        ));
    }
    if secured {
        standard.push((401, "UNAUTHORIZED (no token) or INVALID_TOKEN"));
        standard.push((
            403,
            "FORBIDDEN: the token's role or subject may not do this",
        ));
    }
    if has_params {
        standard.push((404, "NOT_FOUND or the resource's own not-found code"));
    }
    // A write for a customer resolves them in the registry first (API guide, "Customers in
    // writes"): a deactivated one is a 409.
    if path.contains("{customerId}") && writes {
        standard.push((409, "CUSTOMER_INACTIVE, or the operation's own conflict"));
    }
    // The same key with another body (kit::idempotency).
    const REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
    if idempotent {
        match responses.get_mut("422") {
            Some(res) => {
                let said = res["description"].as_str().unwrap_or_default().to_owned();
                if !said.contains(REUSED) {
                    res["description"] = json!(format!("{said} or {REUSED}"));
                }
            }
            None => standard.push((
                422,
                "IDEMPOTENCY_KEY_REUSED: the key was used with another body",
            )),
        }
    }
    for (code, description) in standard {
        responses
            .entry(code.to_string())
            .or_insert_with(|| json!({"description": description, "content": problem_content()}));
    }
}

/// The characters no text may hold (`cid_common::text`), as a regex class.
const CONTROL_CLASS: &str = "[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]";

/// Marks every string property (at any depth) with the shared text rule.
fn refuse_controls(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let is_string = match obj.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    let free_text = obj.get("format").is_none() && obj.get("enum").is_none();
    if is_string && free_text && !obj.contains_key("not") {
        obj.insert(
            "not".into(),
            json!({"type": "string", "pattern": CONTROL_CLASS}),
        );
    }
    for key in ["properties"] {
        if let Some(props) = obj.get_mut(key).and_then(Value::as_object_mut) {
            props.values_mut().for_each(refuse_controls);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = obj.get_mut(key) {
            refuse_controls(inner);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            list.iter_mut().for_each(refuse_controls);
        }
    }
}

fn problem_content() -> Value {
    json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}})
}

fn default_description(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        204 => "No content",
        400 => "VALIDATION_FAILED or MALFORMED_JSON, naming the field",
        401 => "UNAUTHORIZED (no token) or INVALID_TOKEN",
        403 => "FORBIDDEN",
        404 => "Not found",
        409 => "Conflict",
        422 => "A rule says no",
        _ => "See the problem code",
    }
}

/// The shared rules of the parameters every service uses.
fn shape_parameter(p: &mut Value) {
    let name = p["name"].as_str().unwrap_or("").to_owned();
    let location = p["in"].as_str().unwrap_or("").to_owned();
    match (location.as_str(), name.as_str()) {
        // The registry names its customers `{id}`; everyone else `{customerId}`.
        ("path", "customerId" | "id") => {
            p["schema"] = json!({"type": "string", "pattern": cid_common::CustomerId::PATTERN,
                "maxLength": 64, "minLength": 1});
        }
        ("path", _) => {
            p["schema"] = json!({"type": "string", "minLength": 1, "maxLength": 128,
                "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$"});
        }
        ("query", "limit") => {
            p["schema"] = json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 20});
        }
        ("query", "cursor") => {
            p["schema"] = json!({"type": "string", "pattern": "^[0-9]{0,18}$"});
            p["description"] =
                json!("The `nextCursor` of the previous page (empty: the first page).");
        }
        ("header", "Idempotency-Key") => {
            p["schema"] = json!({"type": "string", "minLength": 1, "maxLength": 255,
                "pattern": "\\S"});
            p["description"] =
                json!("Repeats of the same key and body replay the first answer (24 hours).");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(utoipa::OpenApi)]
    #[openapi(paths(get_thing, post_thing, mark_thing, apply_thing), modifiers(&Bearer))]
    struct Doc;

    /// A thing.
    #[utoipa::path(get, path = "/api/x/{customerId}", params(("customerId" = String, Path),
        ("limit" = Option<u32>, Query)), security(("bearer" = [])),
        responses((status = 200, body = String), (status = 404, body = cid_common::Problem)))]
    #[allow(dead_code)]
    fn get_thing() {}

    /// Public.
    #[utoipa::path(post, path = "/api/x/things", responses((status = 201, body = String)))]
    #[allow(dead_code)]
    fn post_thing() {}

    /// A write without a body.
    #[utoipa::path(patch, path = "/api/x/{customerId}/read", security(("bearer" = [])),
        params(("customerId" = String, Path)), responses((status = 200, body = String)))]
    #[allow(dead_code)]
    fn mark_thing() {}

    /// An idempotent write with a rule of its own.
    #[utoipa::path(post, path = "/api/x/{customerId}/apply", security(("bearer" = [])),
        params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
        request_body = String, responses((status = 201, body = String),
        (status = 422, description = "NOT_ELIGIBLE", body = cid_common::Problem)))]
    #[allow(dead_code)]
    fn apply_thing() {}

    #[test]
    fn operations_get_prefixed_ids_problem_errors_descriptions_and_standard_problems() {
        use utoipa::OpenApi;
        let doc = finish("x-y", Doc::openapi());
        let get = &doc["paths"]["/api/x/{customerId}"]["get"];
        assert_eq!(get["operationId"], "x_y_get_thing");
        for code in ["200", "400", "401", "403", "404", "429", "503"] {
            let res = &get["responses"][code];
            assert!(
                res["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{code}"
            );
            if code != "200" {
                assert!(
                    res["content"]["application/problem+json"].is_object(),
                    "{code}"
                );
                assert!(res["content"]["application/json"].is_null(), "{code}");
            }
        }
        let params = get["parameters"].as_array().unwrap();
        assert_eq!(params[0]["schema"]["maxLength"], 64);
        assert_eq!(params[1]["schema"]["maximum"], 100);
        // A public route without input lists neither 400, 401 nor 404.
        let post = &doc["paths"]["/api/x/things"]["post"];
        for code in ["400", "401", "403", "404"] {
            assert!(post["responses"][code].is_null(), "{code}");
        }
        assert!(post["responses"]["429"].is_object());
        assert!(post["responses"]["422"].is_null());
        assert!(post["responses"]["413"].is_null() && post["responses"]["414"].is_null());
        assert!(get["responses"]["414"].is_object() && get["responses"]["413"].is_null());
        // Every write for a customer may meet a deactivated one, body or not.
        let mark = &doc["paths"]["/api/x/{customerId}/read"]["patch"]["responses"];
        assert!(mark["409"].is_object());
        assert!(get["responses"]["409"].is_null());
        // An Idempotency-Key may be reused with another body: 422, beside the route's own.
        let apply = &doc["paths"]["/api/x/{customerId}/apply"]["post"]["responses"];
        assert_eq!(
            apply["422"]["description"],
            "NOT_ELIGIBLE or IDEMPOTENCY_KEY_REUSED"
        );
        assert!(mark["422"].is_null());
        let body_codes = ["413", "414", "415"];
        assert!(body_codes.iter().all(|c| apply[c].is_object()), "{apply}");
    }
}
