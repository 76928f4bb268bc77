//! The routes, read from the OpenAPI document so that they cannot drift: which path
//! template (`/v1/orders/{id}`) a path matches, for logs and metrics, and which methods
//! it answers, for the `Allow` header of a `405`.

use poem::http::Method;

/// One of the [`Routes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteId(usize);

/// Path templates and the methods each answers.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    routes: Vec<Route>,
}

#[derive(Debug, Clone)]
struct Route {
    template: String,
    segments: Vec<Segment>,
    methods: Vec<Method>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

impl Routes {
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
        self.routes.push(Route { template: template.to_owned(), segments, methods });
    }

    /// The most specific route matching `path` (literal segments beat parameters).
    pub fn find(&self, path: &str) -> Option<RouteId> {
        let asked: Vec<&str> = segments(path).collect();
        let mut best: Option<(usize, RouteId)> = None;
        for (index, route) in self.routes.iter().enumerate() {
            let matches = route.segments.len() == asked.len()
                && route.segments.iter().zip(&asked).all(|(segment, asked)| match segment {
                    Segment::Literal(literal) => literal == asked,
                    Segment::Parameter => true,
                });
            let literals = route.segments.iter().filter(|segment| matches!(segment, Segment::Literal(_))).count();
            if matches && best.is_none_or(|(most, _)| literals > most) {
                best = Some((literals, RouteId(index)));
            }
        }
        best.map(|(_, route)| route)
    }

    /// The template `path` matches, as the OpenAPI document writes it.
    pub fn template_for(&self, path: &str) -> Option<&str> {
        self.find(path).map(|route| self.template(route))
    }

    /// `route`'s template, as the OpenAPI document writes it.
    pub fn template(&self, route: RouteId) -> &str {
        &self.routes[route.0].template
    }

    /// The `Allow` value for a path that matches `route`: its methods (none for no route).
    pub fn allow(&self, route: Option<RouteId>) -> String {
        route
            .map(|route| self.routes[route.0].methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
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
        let routes = Routes::from_spec(spec, &["/docs"]);
        assert_eq!(routes.allow(routes.find("/v1/users/me")), "GET, HEAD");
        assert_eq!(routes.allow(routes.find("/v1/users/0190")), "PATCH");
        assert_eq!(routes.allow(routes.find("/v1/orders")), "GET, POST, HEAD");
        assert_eq!(routes.allow(routes.find("/docs")), "GET, HEAD");
        assert_eq!(routes.allow(routes.find("/nowhere")), "");
        assert_eq!(routes.template_for("/v1/users/me"), Some("/v1/users/me"));
        assert_eq!(routes.template_for("/v1/users/0190"), Some("/v1/users/{id}"));
        assert_eq!(routes.template_for("/nowhere"), None);
    }
}
