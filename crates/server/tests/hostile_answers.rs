//! The log client against a server that answers without end: a body that never stops, or one that
//! claims to be a gigabyte, gets an error naming the request once past
//! [`server::client::MAX_ANSWER_BYTES`], not all of the reader's memory (a monitor watches a log
//! whose operator may be the party it accuses).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server on loopback that answers every request with `head` and then, if `endless`, 1 MiB
/// chunks of a chunked body until the client hangs up. Returns its base URL.
async fn hostile(head: &'static str, endless: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                if socket.read(&mut request).await.is_err()
                    || socket.write_all(head.as_bytes()).await.is_err()
                {
                    return;
                }
                if !endless {
                    return;
                }
                let chunk = format!("100000\r\n{}\r\n", "a".repeat(1 << 20));
                loop {
                    if socket.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_never_ends_is_cut_off_with_an_error() {
    let url = hostile("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true).await;
    let client = server::client::Client::new(&url).unwrap();
    let e = client.checkpoint().await.unwrap_err();
    assert!(matches!(e, server::ServerError::Client(_)), "{e:?}");
    let m = e.to_string();
    assert!(m.contains("GET /checkpoint") && m.contains("longer than"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_claiming_a_gigabyte_is_refused_before_it_is_read() {
    let url = hostile("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n", false).await;
    let client = server::client::Client::new(&url).unwrap();
    let e = client.checkpoint().await.unwrap_err();
    assert!(e.to_string().contains("longer than"), "{e}");
}
