//! An example on every request body and every answer of a document, for readers, generated
//! clients and the contract fuzzer's first phase. A schema's own example wins (request bodies
//! carry hand-written ones that pass the service's rules, not only the schema); otherwise one is
//! built from the schema: its fields' examples, the first enum value, formats, and values for
//! the names every service shares (`customerId`, `orderId`, `points`, …). `make openapi-check`
//! validates each example against its schema.

use serde_json::{Map, Value, json};

/// The time every built example shows (a past instant: "not in the future" rules hold).
const AT: &str = "2026-11-30T09:15:00Z";
/// A UUIDv7, the shape of most IDs the services issue.
const UUID: &str = "0193a5e2-7c4b-7d1e-9f3a-2b6c8d0e4f51";
/// Deeper than any DTO nests; a guard against recursive schemas.
const MAX_DEPTH: usize = 12;

/// Adds `example` to every media type of every request body and response in `doc`.
pub fn add(doc: &mut Value) {
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut().filter_map(Value::as_object_mut) {
            if let Some(content) = op
                .get_mut("requestBody")
                .and_then(|b| b.get_mut("content"))
                .and_then(Value::as_object_mut)
            {
                for media in content.values_mut() {
                    fill(media, &schemas, None);
                }
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            for (status, res) in responses.iter_mut() {
                let code: u16 = status.parse().unwrap_or(0);
                let problem = (code >= 400).then(|| problem(code, &res["description"]));
                if let Some(content) = res.get_mut("content").and_then(Value::as_object_mut) {
                    for media in content.values_mut() {
                        fill(media, &schemas, problem.clone());
                    }
                }
            }
        }
    }
}

fn fill(media: &mut Value, schemas: &Value, given: Option<Value>) {
    let Some(media) = media.as_object_mut() else {
        return;
    };
    if media.contains_key("example") || media.contains_key("examples") {
        return;
    }
    let built = given.or_else(|| {
        media
            .get("schema")
            .map(|schema| build(schema, schemas, None, 0))
    });
    if let Some(example) = built {
        media.insert("example".into(), example);
    }
}

/// A problem answer for `status`, with the first code its description names (e.g.
/// `INSUFFICIENT_POINTS or IDEMPOTENCY_KEY_REUSED`), else the status's own.
fn problem(status: u16, description: &Value) -> Value {
    let named = description
        .as_str()
        .unwrap_or_default()
        .split(|c: char| !(c.is_ascii_uppercase() || c == '_'));
    let code = named
        .filter(|w| w.len() > 2)
        .find_map(|w| {
            cid_common::ErrorCode::ALL
                .iter()
                .find(|c| c.as_str() == w)
                .copied()
        })
        .or_else(|| {
            cid_common::ErrorCode::ALL
                .iter()
                .find(|c| c.status() == status)
                .copied()
        });
    let (code, title, detail) = match code {
        Some(c) => {
            let detail = c.detail().get(cid_common::Locale::En).to_owned();
            // Details with placeholders are filled per request; the title reads well alone.
            let detail = if detail.contains('{') {
                c.title().to_owned()
            } else {
                detail
            };
            (c.as_str(), c.title(), detail)
        }
        None => ("ERROR", "Error", "See the problem code.".to_owned()),
    };
    json!({
        "success": false,
        "type": format!("/api/customer-id/docs/errors#{code}"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "error": detail,
        "requestId": UUID,
    })
}

fn build(schema: &Value, schemas: &Value, name: Option<&str>, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let Some(obj) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(example) = obj.get("example") {
        return example.clone();
    }
    if let Some(target) = obj.get("$ref").and_then(Value::as_str) {
        let key = target.rsplit('/').next().unwrap_or_default();
        return build(&schemas[key], schemas, name, depth + 1);
    }
    if let Some(first) = obj.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    if let Some(parts) = obj.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(fields) = build(part, schemas, name, depth + 1) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = obj.get(key).and_then(Value::as_array) {
            let branch = branches.iter().find(|b| b["type"] != "null");
            return branch.map_or(Value::Null, |b| build(b, schemas, name, depth + 1));
        }
    }
    let kind = match obj.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if obj.contains_key("properties") => "object",
        _ => "null",
    };
    match kind {
        "object" => object(obj, schemas, depth),
        "array" => {
            let item = obj
                .get("items")
                .map_or(Value::Null, |i| build(i, schemas, name, depth + 1));
            json!([item])
        }
        "string" => string(obj, name),
        "integer" => integer(obj, name),
        "number" => number(obj, name),
        "boolean" => json!(true),
        _ => Value::Null,
    }
}

fn object(obj: &Map<String, Value>, schemas: &Value, depth: usize) -> Value {
    let mut out = Map::new();
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (key, prop) in props {
            out.insert(key.clone(), build(prop, schemas, Some(key), depth + 1));
        }
    } else if let Some(values @ Value::Object(_)) = obj.get("additionalProperties") {
        out.insert("key".into(), build(values, schemas, None, depth + 1));
    }
    Value::Object(out)
}

fn string(obj: &Map<String, Value>, name: Option<&str>) -> Value {
    let name = name.unwrap_or_default();
    match obj.get("format").and_then(Value::as_str) {
        Some("date-time") => return json!(AT),
        Some("date") => {
            return json!(if name == "birthDate" {
                "1990-02-28"
            } else {
                "2026-11-30"
            });
        }
        Some("uuid") => return json!(UUID),
        _ => {}
    }
    let known = match name {
        "customerId" | "id" | "referrerId" | "referredCustomerId" | "standardId" => {
            "CID-2026-000042"
        }
        "shortId" => "CID000042",
        "ticketId" => "TKT-2026-KHMDP3WE",
        "alertId" => "ALT-0193a5e27c4b7d1e9f3a2b6c8d0e4f51",
        "reportId" => "RPT-0193a5e27c4b7d1e9f3a2b6c8d0e4f51",
        "entryId" => "orders-1",
        "orderId" => "ORD-1001",
        "userId" => "user-42",
        "agentId" | "assignee" | "resolvedBy" | "createdBy" | "by" | "actor" | "author" => {
            "agent-7"
        }
        "deviceId" => "ios-5F2C9A",
        "name" => "Sara Al-Harbi",
        "email" => "sara@example.com",
        "phone" => "+966501234567",
        "currency" => "SAR",
        "country" => "SA",
        "locale" | "language" => "ar",
        "ipAddress" => "203.0.113.7",
        "referralCode" => "7K2M9QXA",
        "referralLink" => "https://marketplace.example/ref/7K2M9QXA",
        "url" => "https://crm.marketplace.example/hooks/cid",
        "category" | "favoriteCategory" => "electronics",
        "tierName" | "nextTierName" | "nameEn" => "Gold",
        "nameAr" | "ar" => "ذهبي",
        "en" => "Gold",
        "title" | "subject" => "Order ORD-1001 arrived damaged",
        "message" | "description" | "detail" | "error" => "My order ORD-1001 arrived damaged.",
        "question" => "Where is my order?",
        "answer" => "Open Orders and choose the order to see its tracking number.",
        "reason" | "note" | "feedback" | "rollbackReason" => "Order refunded",
        "topic" => "tracking",
        "code" => "123456",
        "secret" => "JBSWY3DPEHPK3PXP",
        "otpauthUri" => {
            "otpauth://totp/Customer%20ID:CID-2026-000042?secret=JBSWY3DPEHPK3PXP&issuer=Customer%20ID"
        }
        "month" => "2026-11",
        "nextCursor" => "20",
        _ if name.ends_with("Id") => UUID,
        _ => "text",
    };
    json!(known)
}

fn integer(obj: &Map<String, Value>, name: Option<&str>) -> Value {
    let known = match name.unwrap_or_default() {
        "points" | "pointsEarned" => Some(250),
        "balance" | "balanceAfter" => Some(1250),
        "lifetimePoints" | "qualifyingPoints" => Some(4800),
        "pointsToNextTier" => Some(200),
        "rating" => Some(5),
        "limit" => Some(20),
        _ => None,
    };
    let min = obj.get("minimum").and_then(Value::as_i64);
    let max = obj.get("maximum").and_then(Value::as_i64);
    let value = known.or(min).unwrap_or(1);
    json!(value.clamp(min.unwrap_or(i64::MIN), max.unwrap_or(i64::MAX)))
}

fn number(obj: &Map<String, Value>, name: Option<&str>) -> Value {
    let known = match name.unwrap_or_default() {
        "amount" | "purchaseAmount" | "orderAmount" | "saved" => Some(250.0),
        "totalSpent" | "lifetimeValue" => Some(5400.0),
        _ => None,
    };
    let min = obj.get("minimum").and_then(Value::as_f64);
    let max = obj.get("maximum").and_then(Value::as_f64);
    let value = known.or(min).unwrap_or(12.5);
    json!(value.clamp(min.unwrap_or(f64::MIN), max.unwrap_or(f64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_examples_win_then_refs_enums_formats_and_names() {
        let schemas = json!({
            "Tier": {"type": "string", "enum": ["bronze", "gold"]},
            "Earn": {"type": "object", "example": {"points": 10}},
        });
        let schema = json!({"type": "object", "properties": {
            "customerId": {"type": "string"},
            "tier": {"$ref": "#/components/schemas/Tier"},
            "at": {"type": ["string", "null"], "format": "date-time"},
            "points": {"type": "integer", "minimum": 0},
            "rating": {"type": "integer", "minimum": 1, "maximum": 3},
            "tags": {"type": "array", "items": {"type": "string"}},
            "earn": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Earn"}]},
            "both": {"allOf": [{"properties": {"a": {"type": "boolean"}}},
                               {"properties": {"b": {"type": "string", "example": "x"}}}]},
        }});
        assert_eq!(
            build(&schema, &schemas, None, 0),
            json!({"customerId": "CID-2026-000042", "tier": "bronze", "at": AT, "points": 250,
                "rating": 3, "tags": ["text"], "earn": {"points": 10},
                "both": {"a": true, "b": "x"}})
        );
    }

    #[test]
    fn every_body_and_answer_gets_one_and_problems_name_their_code() {
        let mut doc = json!({"paths": {"/x": {"post": {
        "requestBody": {"content": {"application/json": {"schema": {"type": "object",
            "example": {"orderId": "A"}}}}},
        "responses": {
            "201": {"description": "Created", "content": {"application/json": {"schema":
                {"type": "object", "properties": {"success": {"type": "boolean"}}}}}},
            "422": {"description": "INSUFFICIENT_POINTS or IDEMPOTENCY_KEY_REUSED",
                "content": {"application/problem+json": {"schema": {}}}},
            "404": {"description": "Not found",
                "content": {"application/problem+json": {"schema": {}}}},
        }}}}});
        add(&mut doc);
        let op = &doc["paths"]["/x"]["post"];
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["example"],
            json!({"orderId": "A"})
        );
        let res = &op["responses"];
        assert_eq!(
            res["201"]["content"]["application/json"]["example"],
            json!({"success": true})
        );
        let refused = &res["422"]["content"]["application/problem+json"]["example"];
        assert_eq!(refused["code"], "INSUFFICIENT_POINTS");
        assert_eq!(refused["status"], 422);
        assert_eq!(
            res["404"]["content"]["application/problem+json"]["example"]["status"],
            404
        );
    }
}
