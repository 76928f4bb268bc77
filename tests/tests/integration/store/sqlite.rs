//! The store behaviour suite on the sqlite store.

orders_tests::store_suite!(orders_tests::stores::sqlite);
