//! The route table: every method and path the service answers, built together with the router
//! by the [`routes!`] macro, so no route can exist without being listed. The authorisation
//! matrix test walks this table; a route missing from its expectations fails it.

use axum::Router;
use axum::routing::MethodRouter;

/// One method on one path pattern, such as `POST /people/{id}/close`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    /// Lower case, as in the router: `get`, `post`.
    pub method: &'static str,
    pub path: &'static str,
}

/// A router and the table of what it routes.
pub struct Routes<S> {
    router: Router<S>,
    table: Vec<Route>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Routes { router: Router::new(), table: Vec::new() }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// Adds one path with its handlers; `methods` names them, as the macro writes them.
    pub fn add(mut self, path: &'static str, methods: &[&'static str], handlers: MethodRouter<S>) -> Self {
        self.router = self.router.route(path, handlers);
        self.table.extend(methods.iter().map(|method| Route { method, path }));
        self
    }

    pub fn merge(mut self, other: Routes<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    pub fn table(&self) -> &[Route] {
        &self.table
    }

    pub fn into_router(self) -> Router<S> {
        self.router
    }
}

/// `routes! { "/path" => get(handler).post(other), ... }`: a [`Routes`] with each path's handlers
/// and the methods they answer.
macro_rules! routes {
    ($($path:literal => $method:ident($handler:expr) $(. $more:ident($more_handler:expr))*),* $(,)?) => {{
        let routes = $crate::web::routes::Routes::default();
        $(
            let routes = routes.add(
                $path,
                &[stringify!($method) $(, stringify!($more))*],
                axum::routing::$method($handler) $(.$more($more_handler))*,
            );
        )*
        routes
    }};
}
pub(crate) use routes;
