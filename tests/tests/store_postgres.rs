//! The store behaviour suite on the postgres store.

orders_tests::store_suite!(orders_tests::stores::postgres);
