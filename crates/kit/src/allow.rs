//! Which methods a path supports, read from the service's own OpenAPI document, so that a
//! wrong method on a known path answers 405 with `Allow` instead of 404 — for every route of
//! every service, without a line in any route table.

/// The path templates of an OpenAPI document and the methods of each.
#[derive(Debug, Clone, Default)]
pub struct MethodTable {
    templates: Vec<(Vec<Option<String>>, Vec<String>)>,
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl MethodTable {
    /// From an OpenAPI 3 document in JSON (an unreadable one gives an empty table).
    pub fn from_openapi(json: &str) -> Self {
        let doc: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        let mut templates = Vec::new();
        if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
            for (template, item) in paths {
                let segments = split(template)
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect();
                let methods = METHODS
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(|m| m.to_ascii_uppercase())
                    .collect();
                templates.push((segments, methods));
            }
        }
        Self { templates }
    }

    /// `Some("GET, POST")` when some template matches `path`; `None` for an unknown path.
    /// Literal segments win over parameters, as in the route tables (`/customers/export.csv`
    /// is not `/customers/{id}`).
    pub fn allow(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = split(path).collect();
        let matching: Vec<(usize, &Vec<String>)> = self
            .templates
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments
                        .iter()
                        .zip(&parts)
                        .all(|(seg, part)| seg.as_deref().is_none_or(|lit| lit == *part))
            })
            .map(|(segments, methods)| (segments.iter().filter(|s| s.is_some()).count(), methods))
            .collect();
        let most_literal = matching.iter().map(|(n, _)| *n).max()?;
        let mut allowed: Vec<&str> = Vec::new();
        for (_, methods) in matching.iter().filter(|(n, _)| *n == most_literal) {
            for m in methods.iter() {
                if !allowed.contains(&m.as_str()) {
                    allowed.push(m);
                }
            }
        }
        (!allowed.is_empty()).then(|| {
            allowed.sort_by_key(|m| METHODS.iter().position(|k| k.eq_ignore_ascii_case(m)));
            allowed.join(", ")
        })
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_list_their_methods_and_unknown_ones_none() {
        let table = MethodTable::from_openapi(
            r#"{"paths": {
                "/api/x/tiers/all": {"get": {}},
                "/api/x/{id}": {"get": {}},
                "/api/x/{id}/points": {"post": {}, "parameters": []}
            }}"#,
        );
        assert_eq!(table.allow("/api/x/C1/points").as_deref(), Some("POST"));
        assert_eq!(table.allow("/api/x/tiers/all").as_deref(), Some("GET"));
        assert_eq!(table.allow("/api/x/C1").as_deref(), Some("GET"));
        // The literal route wins over the parameter one.
        let table = MethodTable::from_openapi(
            r#"{"paths": {"/c/export.csv": {"get": {}}, "/c/{id}": {"put": {}, "delete": {}}}}"#,
        );
        assert_eq!(table.allow("/c/export.csv").as_deref(), Some("GET"));
        assert_eq!(table.allow("/c/C1").as_deref(), Some("PUT, DELETE"));
        assert_eq!(table.allow("/api/x/C1/nothing"), None);
        assert_eq!(table.allow("/elsewhere"), None);
    }
}
