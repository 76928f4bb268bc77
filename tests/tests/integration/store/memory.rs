//! The store behaviour suite on the memory store.

orders_tests::store_suite!(orders_tests::stores::memory);
