//! [`ErrorTable`]: which row of [`codes`](super::codes) each error answers with, and
//! every row it can answer with. Both come from one list of `pattern => ROW` arms
//! written with [`error_table!`], so the rows an operation documents are exactly
//! those its errors can produce.

use super::codes::Code;
use crate::api::problem::Problem;

/// An error with its rows of the error table.
pub trait ErrorTable: std::error::Error {
    /// Every row [`ErrorTable::answer`] can come from, in the table's order.
    fn codes() -> Vec<&'static Code>;

    /// The problem this error is answered with.
    fn answer(&self) -> Problem;
}

impl<E: ErrorTable> From<E> for Problem {
    /// `error`'s answer; for a 5xx, whose answer hides its cause, the whole cause
    /// chain is logged.
    fn from(error: E) -> Self {
        let problem = error.answer();
        if problem.status().is_server_error() {
            tracing::error!(code = problem.details().code, cause = %super::cause_chain(&error), "request failed");
        }
        problem
    }
}

/// Implements [`ErrorTable`] for an error type from arms `pattern => ROW` (optionally
/// `, with |problem| ...` to add what the row does not fix: members, a header, a
/// better detail), and, after `backend`, the variant that carries a
/// [`BackendError`](orders_core::ports::BackendError), answered as its own table says.
/// The arms form one exhaustive `match` on `&error`, named by the identifier after `as`;
/// the detail is the error's message unless the row fixes one.
macro_rules! error_table {
    (
        $error:ty as $binding:ident {
            $($pattern:pat => $code:path $(, with $extend:expr)?;)*
        } $(backend $backend:path)?
    ) => {
        impl $crate::api::errors::table::ErrorTable for $error {
            fn codes() -> Vec<&'static $crate::api::errors::codes::Code> {
                #[allow(unused_mut)]
                let mut codes: Vec<&'static $crate::api::errors::codes::Code> = vec![$(&$code),*];
                $(
                    let _ = stringify!($backend);
                    codes.extend(<orders_core::ports::BackendError as $crate::api::errors::table::ErrorTable>::codes());
                )?
                codes
            }

            fn answer(&self) -> $crate::api::problem::Problem {
                let $binding = self;
                match $binding {
                    $($pattern => {
                        let problem = $code.problem($binding.to_string());
                        $(let problem = $crate::api::errors::table::extend(problem, $extend);)?
                        problem
                    })*
                    $($backend(backend) => $crate::api::errors::table::ErrorTable::answer(backend),)?
                }
            }
        }
    };
}

pub(crate) use error_table;

/// `edit` applied to `problem`: how an arm's `with` closure gets its parameter's type.
pub fn extend(problem: Problem, edit: impl FnOnce(Problem) -> Problem) -> Problem {
    edit(problem)
}
