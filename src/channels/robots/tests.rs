use super::*;
use crate::mail::context::{context, sample_params};
use crate::mail::templates::{builtin, render};
use crate::mail::{Locale, MailKind};

/// Vectors computed outside this code (Python's `hmac`, `base64` and
/// `urllib.parse.quote_plus`) by the algorithms DingTalk and Feishu
/// publish, on DingTalk's documented 13-digit millisecond timestamp and
/// Feishu's documented example timestamp 1599360473.
#[test]
fn signers_match_known_vectors() {
    let ding = dingtalk_sign(
        1577262236757,
        "SEC19dd84be8c7f3cf71761974f1ed3ef77c1451906ae8ba18acf56103ee",
    );
    assert_eq!(ding, "LLP672yWNTStXm4iF/ngu80kfO2xoZPk/6kGi1KhgSc=");
    assert_eq!(
        url_encode(&ding),
        "LLP672yWNTStXm4iF%2Fngu80kfO2xoZPk%2F6kGi1KhgSc%3D"
    );
    assert_eq!(
        feishu_sign(1599360473, "nIMtb7r3N9pkXyXdtAbx6e"),
        "8XkigV4ad5JPY2LaX299xcMMDywUX9buomtj9pY5MiY="
    );
    let now: DateTime<Utc> = "2026-04-03T09:30:00.123Z".parse().unwrap();
    let s = sign(RobotService::Dingtalk, Some("SECabc"), now).unwrap();
    assert_eq!(s.timestamp, 1775208600123);
    let f = sign(RobotService::Feishu, Some("secret-1"), now).unwrap();
    assert_eq!(
        (f.timestamp, f.sign.clone()),
        (1775208600, feishu_sign(1775208600, "secret-1"))
    );
    assert_eq!(sign(RobotService::Wecom, Some("x"), now), None);
    assert_eq!(sign(RobotService::Dingtalk, None, now), None);
    assert_eq!(
        webhook_url(
            RobotService::Dingtalk,
            "https://oapi.dingtalk.com/robot/send?access_token=t",
            Some(&s)
        ),
        format!(
            "https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1775208600123&sign={}",
            url_encode(&s.sign)
        )
    );
}

fn message(notice: Notice, title: &str) -> RobotMessage {
    let kind = MailKind::Notice(notice);
    let mut params = sample_params(kind);
    params["title"] = title.into();
    let ctx = context(kind, &params, Locale::Zh, "https://yz.example.gov.cn");
    let subject = render(builtin(kind, Locale::Zh), &ctx, Locale::Zh)
        .unwrap()
        .subject;
    compose(notice, &subject, &ctx, Lang::Zh)
}

#[test]
fn each_notice_reads_as_its_e_mail_says() {
    let m = message(Notice::Overdue, "复工复产人员返岗受阻");
    assert_eq!(
        m.title,
        "【一站】超期（已升级至第2级）：310115-20220418-0001 复工复产人员返岗受阻"
    );
    assert_eq!(
        m.lines,
        [
            "工单编号：310115-20220418-0001",
            "标题：复工复产人员返岗受阻",
            "紧急程度：紧急",
            "已超过办结时限，已超时 1 个工作日",
            "办结时限：2022年4月25日 17:30（北京时间）",
            "已升级督办至第 2 级",
        ]
    );
    assert_eq!(
        (m.link.as_str(), m.tone),
        ("https://yz.example.gov.cn/tickets/1", Tone::Alert)
    );
    let urged = message(Notice::Urged, "x");
    assert!(
        urged
            .lines
            .contains(&"督办意见：请补充返岗人员名单。".to_string()),
        "{:?}",
        urged.lines
    );
    let new = message(Notice::NewTicket, "x");
    assert!(
        new.lines.iter().any(|l| l.starts_with("签收时限：")),
        "{:?}",
        new.lines
    );
}

#[test]
fn a_title_cannot_add_markup() {
    let m = message(
        Notice::NewTicket,
        "急[点我](http://evil.example) <font>**粗**</font>\n# 标题",
    );
    let line = &m.lines[1];
    assert_eq!(
        line,
        "标题：急［点我］（http://evil.example） ＜font＞＊＊粗＊＊＜/font＞ ＃ 标题"
    );
    for service in RobotService::ALL {
        let b = body(service, &m, None).to_string();
        assert!(!b.contains("](http://evil"), "{b}");
        assert!(
            b.contains("(https://yz.example.gov.cn/tickets/1)")
                || b.contains("\"url\":\"https://yz.example.gov.cn/tickets/1\""),
            "{b}"
        );
    }
}

#[test]
fn bodies_have_each_service_s_documented_shape() {
    let m = message(Notice::SlaWarning, "配件断供");
    let w = body(RobotService::Wecom, &m, None);
    assert_eq!(w["msgtype"], "markdown");
    let content = w["markdown"]["content"].as_str().unwrap();
    assert!(content.starts_with("### 【一站】临期预警"), "{content}");
    assert!(
        content.ends_with("[查看工单](https://yz.example.gov.cn/tickets/1)"),
        "{content}"
    );
    let d = body(RobotService::Dingtalk, &m, None);
    assert_eq!(
        (d["msgtype"].as_str(), d["markdown"]["title"].as_str()),
        (Some("markdown"), Some(m.title.as_str()))
    );
    assert!(d["markdown"]["text"].as_str().unwrap().contains("\n\n"));
    let sig = Signature {
        timestamp: 1599360473,
        sign: "s".into(),
    };
    let f = body(RobotService::Feishu, &m, Some(&sig));
    assert_eq!(
        (
            f["msg_type"].as_str(),
            f["timestamp"].as_str(),
            f["sign"].as_str()
        ),
        (Some("interactive"), Some("1599360473"), Some("s"))
    );
    assert_eq!(f["card"]["header"]["template"], "orange");
    assert_eq!(
        f["card"]["elements"][1]["actions"][0]["url"],
        "https://yz.example.gov.cn/tickets/1"
    );
    // WeCom's limit of 4096 bytes holds however long the lines.
    let mut long = m.clone();
    long.lines = vec!["字".repeat(1000); 10];
    let content = body(RobotService::Wecom, &long, None)["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(content.len() <= 4096 && content.ends_with("(https://yz.example.gov.cn/tickets/1)"));
}

#[test]
fn answers_read_as_the_services_document_them() {
    use RobotService::*;
    assert_eq!(
        interpret(Wecom, 200, r#"{"errcode":0,"errmsg":"ok"}"#),
        Verdict::Delivered
    );
    assert_eq!(
        interpret(Dingtalk, 200, r#"{"errcode":0,"errmsg":"ok"}"#),
        Verdict::Delivered
    );
    assert_eq!(
        interpret(Feishu, 200, r#"{"code":0,"msg":"success","data":{}}"#),
        Verdict::Delivered
    );
    assert_eq!(
        interpret(Feishu, 200, r#"{"StatusCode":0,"StatusMessage":"success"}"#),
        Verdict::Delivered
    );
    assert!(
        matches!(interpret(Wecom, 200, r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#), Verdict::Permanent(e) if e.contains("93000"))
    );
    assert!(matches!(
        interpret(
            Dingtalk,
            200,
            r#"{"errcode":310000,"errmsg":"sign not match"}"#
        ),
        Verdict::Permanent(_)
    ));
    assert!(matches!(
        interpret(
            Feishu,
            200,
            r#"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}"#
        ),
        Verdict::Permanent(_)
    ));
    for (s, a) in [
        (
            Wecom,
            r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#,
        ),
        (Dingtalk, r#"{"errcode":130101,"errmsg":"send too fast"}"#),
        (Feishu, r#"{"code":9499,"msg":"too many request"}"#),
    ] {
        assert!(
            matches!(
                interpret(s, 200, a),
                Verdict::Retry {
                    after_secs: Some(60),
                    ..
                }
            ),
            "{a}"
        );
    }
    assert!(matches!(
        interpret(Dingtalk, 200, r#"{"errcode":-1,"errmsg":"系统繁忙"}"#),
        Verdict::Retry {
            after_secs: None,
            ..
        }
    ));
    assert!(matches!(
        interpret(Wecom, 502, "<html>bad gateway</html>"),
        Verdict::Retry { .. }
    ));
    assert!(matches!(
        interpret(Feishu, 404, "not found"),
        Verdict::Permanent(_)
    ));
    assert!(matches!(
        interpret(Wecom, 429, ""),
        Verdict::Retry {
            after_secs: Some(60),
            ..
        }
    ));
}

#[test]
fn a_test_message_names_the_robot_and_its_notices() {
    let m = test_message(
        "办公室[群]",
        &[Notice::NewTicket, Notice::Overdue],
        "https://h/",
        Lang::Zh,
    );
    assert_eq!(
        m.lines,
        ["机器人“办公室［群］”已接入一站服务平台，今后将在本群发送：新诉求、超期。"]
    );
}
