//! Which methods each path answers, for the `Allow` header of a `405`: read from the
//! OpenAPI document, so it cannot drift from the routes.

use poem::http::Method;

/// Path templates (`/v1/orders/{id}`) and the methods each answers.
#[derive(Debug, Clone, Default)]
pub struct AllowedMethods {
    routes: Vec<(Vec<Segment>, Vec<Method>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

impl AllowedMethods {
    /// The operations of an OpenAPI document (as JSON), plus `extra` paths answering GET.
    pub fn from_spec(spec_json: &str, extra_get_paths: &[&str]) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec_json).expect("poem-openapi writes valid JSON");
        let mut allowed = Self::default();
        if let Some(paths) = spec["paths"].as_object() {
            for (path, operations) in paths {
                let methods = operations
                    .as_object()
                    .into_iter()
                    .flat_map(|operations| operations.keys())
                    .filter_map(|method| method.to_uppercase().parse::<Method>().ok())
                    .collect();
                allowed.add(path, methods);
            }
        }
        for path in extra_get_paths {
            allowed.add(path, vec![Method::GET]);
        }
        allowed
    }

    fn add(&mut self, template: &str, mut methods: Vec<Method>) {
        if methods.contains(&Method::GET) && !methods.contains(&Method::HEAD) {
            methods.push(Method::HEAD);
        }
        let segments = segments(template)
            .map(|segment| {
                if segment.starts_with('{') || segment.starts_with(':') {
                    Segment::Parameter
                } else {
                    Segment::Literal(segment.to_owned())
                }
            })
            .collect();
        self.routes.push((segments, methods));
    }

    /// The `Allow` value for `path`: the methods of the most specific template matching it.
    pub fn for_path(&self, path: &str) -> String {
        let asked: Vec<&str> = segments(path).collect();
        let mut best: Option<(usize, &Vec<Method>)> = None;
        for (template, methods) in &self.routes {
            let matches = template.len() == asked.len()
                && template.iter().zip(&asked).all(|(segment, asked)| match segment {
                    Segment::Literal(literal) => literal == asked,
                    Segment::Parameter => true,
                });
            let literals = template.iter().filter(|segment| matches!(segment, Segment::Literal(_))).count();
            if matches && best.is_none_or(|(most, _)| literals > most) {
                best = Some((literals, methods));
            }
        }
        best.map(|(_, methods)| methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default()
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|segment| !segment.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_template_gives_the_methods() {
        let spec = r#"{"paths": {
            "/v1/users/{id}": {"patch": {}},
            "/v1/users/me": {"get": {}},
            "/v1/orders": {"get": {}, "post": {}}
        }}"#;
        let allowed = AllowedMethods::from_spec(spec, &["/docs"]);
        assert_eq!(allowed.for_path("/v1/users/me"), "GET, HEAD");
        assert_eq!(allowed.for_path("/v1/users/0190"), "PATCH");
        assert_eq!(allowed.for_path("/v1/orders"), "GET, POST, HEAD");
        assert_eq!(allowed.for_path("/docs"), "GET, HEAD");
        assert_eq!(allowed.for_path("/nowhere"), "");
    }
}
