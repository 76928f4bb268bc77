//! `--replica-database-url`: catalogue reads (`GET /v1/products`, `GET /v1/products/{id}`)
//! come from the replica, everything else from `--database-url`. Shown with two
//! databases that hold different products, so that each answer tells where it came from.

use orders_adapters::{Store, StoreOptions};
use orders_core::usecases::{Actor, NewProduct};
use orders_tests::server::{ServerOptions, TestServer};
use orders_tests::stores::{PostgresDatabase, service_on};
use serde_json::json;

#[cfg_attr(not(postgres_server), ignore = "needs a PostgreSQL server: set ORDERS_TEST_POSTGRES_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogue_reads_come_from_the_replica_and_nothing_else_does() {
    let (primary, replica) =
        (PostgresDatabase::on_the_test_server().await, PostgresDatabase::on_the_test_server().await);
    let copy = Store::open(&replica.url, &StoreOptions::default()).await.unwrap();
    copy.migrate().await.unwrap();
    let only_on_the_replica = service_on(&copy)
        .create_product(&Actor::Operator, NewProduct::parse("REPLICA-1", "On the replica", 100, 5).unwrap())
        .await
        .unwrap();
    let options = ServerOptions {
        database_url: Some(primary.url.clone()),
        extra_args: vec!["--replica-database-url".into(), replica.url.clone()],
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(options).await;
    let admin = server.admin_token().await;
    let (_, customer) = server.customer().await;

    let on_the_primary = server.product(&admin, 250, 10).await;
    let listed = server.get("/v1/products", None).await;
    let skus: Vec<_> = listed.expect(200)["items"].as_array().unwrap().iter().map(|p| p["sku"].clone()).collect();
    assert_eq!(skus, [json!("REPLICA-1")], "the catalogue is the replica's");
    let replica_path = format!("/v1/products/{}", only_on_the_replica.id);
    server.get(&replica_path, None).await.expect(200);
    let primary_path = format!("/v1/products/{}", on_the_primary["id"].as_str().unwrap());
    server.get(&primary_path, None).await.assert_problem(404, "product_not_found");

    let placed = server.place_order(&customer, &[(&on_the_primary, 3)], Some("k")).await;
    assert_eq!(placed.expect(201)["items"][0]["sku"], on_the_primary["sku"], "orders are placed on the primary");
    let edited = server.patch(&primary_path, Some(&admin), &json!({})).await;
    assert_eq!(edited.expect(200)["stock"], 7, "an edit reads its product back from the primary");
    let restocked = server.post(&format!("{primary_path}/restock"), Some(&admin), &json!({"quantity": 1})).await;
    assert_eq!(restocked.expect(200)["stock"], 8);
}
