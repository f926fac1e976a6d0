//! The Telegram reader against the fixtures in `tests/fixtures/telegram/` (real-shaped
//! updates; see the README there).

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../../../tests/fixtures/telegram/", $name)).as_slice()
    };
}

fn message(body: &[u8]) -> (String, IncomingMessage) {
    match read(body).expect("readable") {
        Update::Message { key, message } => (key, message),
        other => panic!("{other:?}"),
    }
}

fn ignored(body: &[u8]) -> String {
    match read(body).expect("readable") {
        Update::Ignored { what, .. } => what,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_private_text_message_is_a_customers_message() {
    let (key, m) = message(fixture!("message.1-evening.json"));
    assert_eq!(key, "730000001");
    assert_eq!(m.source, ChatSource::Telegram);
    assert_eq!(m.channel, "telegram");
    assert_eq!(m.conversation, "555000111");
    assert_eq!(m.message_id.as_deref(), Some("101"));
    assert_eq!(
        m.text,
        "Здравствуйте! Есть ли в наличии улун «Те Гуань Инь»?"
    );
    assert_eq!(m.sent_at, Some(1_795_539_600));
    assert_eq!(m.sender.name.as_deref(), Some("Анна Петрова"));
    assert_eq!(m.sender.username.as_deref(), Some("anna_petrova"));
    assert_eq!(m.sender.language, Some(Language::Ru));
    assert_eq!(m.sender.phone, None);
}

#[test]
fn a_photo_is_a_placeholder_with_its_caption() {
    let (_, m) = message(fixture!("message.3-photo-night.json"));
    assert_eq!(m.text, "[photo] Вот такой, как на фото");
}

#[test]
fn the_senders_own_shared_contact_gives_their_phone() {
    let (_, m) = message(fixture!("message-contact.json"));
    assert_eq!(
        m.sender.phone.as_ref().map(Phone::as_str),
        Some("+79123456789")
    );
    assert_eq!(m.text, "[contact +79123456789]");
}

#[test]
fn someone_elses_contact_is_not_the_senders_phone() {
    let body = String::from_utf8(fixture!("message-contact.json").to_vec())
        .expect("utf-8")
        .replace("\"user_id\": 555000111", "\"user_id\": 555000999");
    let (_, m) = message(body.as_bytes());
    assert_eq!(m.sender.phone, None);
    assert_eq!(m.text, "[contact]");
}

#[test]
fn a_command_is_a_message_too_with_the_senders_language() {
    let (_, m) = message(fixture!("message-start-en.json"));
    assert_eq!(m.text, "/start");
    assert_eq!(m.sender.name.as_deref(), Some("John"));
    assert_eq!(m.sender.language, Some(Language::En));
}

#[test]
fn everything_else_is_ignored_with_what_it_was() {
    assert_eq!(
        ignored(fixture!("edited-message.json")),
        "an edited message"
    );
    assert_eq!(ignored(fixture!("channel-post.json")), "a channel post");
    assert_eq!(
        ignored(fixture!("group-message.json")),
        "a message in a supergroup chat"
    );
    assert_eq!(
        ignored(fixture!("service-message.json")),
        "a service message"
    );
    assert_eq!(
        ignored(fixture!("my-chat-member-blocked.json")),
        "a my_chat_member update"
    );
    let bot = String::from_utf8(fixture!("message.1-evening.json").to_vec())
        .expect("utf-8")
        .replace("\"is_bot\": false", "\"is_bot\": true");
    assert_eq!(ignored(bot.as_bytes()), "a bot's message");
}

#[test]
fn an_update_needs_its_id() {
    assert!(matches!(
        read(br#"{"message":{}}"#),
        Err(NoticeError::Invalid { field, .. }) if field == "update_id"
    ));
    assert!(matches!(read(b"not json"), Err(NoticeError::Malformed(_))));
    assert!(matches!(read(b"[]"), Err(NoticeError::Malformed(_))));
}

#[test]
fn the_secret_token_must_match_exactly() {
    assert_eq!(verify(Some("s3cret-Token_1"), "s3cret-Token_1"), Ok(()));
    assert!(matches!(
        verify(Some("s3cret-Token_2"), "s3cret-Token_1"),
        Err(NoticeError::Unauthorized(_))
    ));
    assert!(matches!(
        verify(Some("s3cret"), "s3cret-Token_1"),
        Err(NoticeError::Unauthorized(_))
    ));
    assert!(matches!(
        verify(None, "s3cret-Token_1"),
        Err(NoticeError::Unauthorized(_))
    ));
}
