//! Through the generated Rust client: signing up, logging in (the form-encoded OAuth2
//! password grant, which progenitor generates as a typed call too), reading your account,
//! and an admin changing a user's tier; with the typed problems of each refusal.

use orders_client::types::{Registration, Role, Tier, TokenRequest, TokenType, UserAccessChange};
use orders_tests::api::unique_email;
use orders_tests::client::{self, CUSTOMER_PASSWORD, anonymous, problem, refused_fields};
use orders_tests::server::TestServer;

#[tokio::test]
async fn signing_up_logging_in_and_reading_your_account() {
    let server = TestServer::start().await;
    let email = unique_email("Ada");
    let registration = Registration::builder()
        .email(email.clone())
        .password(CUSTOMER_PASSWORD)
        .full_name(Some("Ada L.".parse().unwrap()));

    let created = anonymous(&server).register_user().body(registration).send().await.unwrap();

    assert_eq!(created.status().as_u16(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/users/{}", created.id));
    assert_eq!(created.email, email.to_lowercase());
    assert_eq!(created.full_name.as_deref(), Some("Ada L."));
    assert_eq!((created.tier, created.role), (Tier::Standard, Role::Customer));

    let login = TokenRequest::builder().username(email.clone()).password(CUSTOMER_PASSWORD);
    let token = anonymous(&server).issue_token().body(login).send().await.unwrap();
    assert_eq!((token.token_type, token.expires_in), (TokenType::Bearer, 3600));
    assert_eq!(token.headers()["cache-control"], "no-store");

    let me = client::with_token(&server, &token.access_token).get_me().send().await.unwrap();
    assert_eq!((me.id, me.email.as_str()), (created.id, created.email.as_str()));
}

#[tokio::test]
async fn a_taken_email_is_a_409_and_a_bad_one_a_422_naming_it() {
    let server = TestServer::start().await;
    let email = unique_email("taken");
    let anonymous = anonymous(&server);
    let registration = || Registration::builder().email(email.clone()).password(CUSTOMER_PASSWORD);
    anonymous.register_user().body(registration()).send().await.unwrap();

    let again = anonymous.register_user().body(registration().email(email.to_uppercase())).send().await;
    let not_an_email = anonymous.register_user().body(registration().email("not-an-address")).send().await;

    assert_eq!(problem(again, 409).code, "email_taken");
    assert_eq!(refused_fields(&problem(not_an_email, 422)), ["email"]);
}

#[tokio::test]
async fn a_wrong_password_is_a_401_and_no_token_is_a_401_too() {
    let server = TestServer::start().await;
    let (user, _) = client::customer(&server).await;

    let login = TokenRequest::builder().username(user.email.clone()).password("not-the-password");
    let wrong = anonymous(&server).issue_token().body(login).send().await;
    let without_token = anonymous(&server).get_me().send().await;

    let wrong = problem(wrong, 401);
    assert_eq!(wrong.code, "invalid_credentials");
    assert_eq!(problem(without_token, 401).code, "unauthenticated");
}

#[tokio::test]
async fn an_admin_makes_a_customer_premium_and_a_customer_may_not() {
    let server = TestServer::start().await;
    let admin = client::admin(&server).await;
    let (user, customer) = client::customer(&server).await;
    let premium = || UserAccessChange::builder().tier(Some(Tier::Premium));

    let refused = customer.update_user().id(user.id).body(premium()).send().await;
    let changed = admin.update_user().id(user.id).body(premium()).send().await.unwrap();
    let unknown = admin.update_user().id(uuid::Uuid::now_v7()).body(premium()).send().await;

    assert_eq!(problem(refused, 403).code, "forbidden");
    assert_eq!((changed.tier, changed.role), (Tier::Premium, Role::Customer));
    assert_eq!(customer.get_me().send().await.unwrap().tier, Tier::Premium);
    assert_eq!(problem(unknown, 404).code, "user_not_found");
}
