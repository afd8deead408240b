//! [`AllowTable`]: the methods of every path of the document, for the `Allow` header of a
//! `405`.

/// The methods of every path template of the document, to answer a 405 with `Allow`.
pub(super) struct AllowTable(Vec<(Vec<String>, String)>);

impl AllowTable {
    pub(super) fn from_spec(spec: &str) -> Self {
        let doc: serde_json::Value = serde_json::from_str(spec).unwrap_or_default();
        let mut rows = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let mut methods: Vec<String> = item
                .as_object()
                .into_iter()
                .flat_map(|o| o.keys())
                .map(|m| m.to_uppercase())
                .collect();
            methods.sort();
            let segments: Vec<String> = path.split('/').map(str::to_owned).collect();
            rows.push((segments, methods.join(", ")));
        }
        // Literal segments before parameters: `/users/me` wins over `/users/{id}`.
        rows.sort_by_key(|(segments, _)| segments.iter().filter(|s| s.starts_with('{')).count());
        Self(rows)
    }

    /// The `Allow` value of the template `path` matches (`{param}` matches any one segment).
    pub(super) fn methods(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == parts.len()
                    && template
                        .iter()
                        .zip(&parts)
                        .all(|(t, p)| t.starts_with('{') || t == p)
            })
            .map(|(_, methods)| methods.clone())
    }
}
