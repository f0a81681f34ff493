#!/usr/bin/python3
"""The registration and subscription meta API seen by python3-autobahn 22.7 over the four transport and
serializer pairs: the events of a registration and a subscription (on_create with its details, then the
member's on_register / on_subscribe; on_unsubscribe / on_unregister, then on_delete) and the procedures
(list, lookup, match, get, list_callees / list_subscribers, count_*), with the errors for unknown ids.

Run with Debian's /usr/bin/python3. Exits 0 on success, 1 with a message on failure.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pywamp import ALICE, check, eq, error_of, join, pairs_with_metad, run, until  # noqa: E402
from autobahn.wamp.types import RegisterOptions, SubscribeOptions  # noqa: E402


async def pair_checks(router, kind, ser):
    watcher, _ = await join(router, kind, ser, **ALICE)
    events = []
    for topic in ("wamp.registration.on_create", "wamp.registration.on_register", "wamp.registration.on_unregister",
                  "wamp.registration.on_delete", "wamp.subscription.on_create", "wamp.subscription.on_subscribe",
                  "wamp.subscription.on_unsubscribe", "wamp.subscription.on_delete"):
        await watcher.subscribe(lambda *a, topic=topic: events.append((topic.split(".", 1)[1],) + a), topic)

    actor, da = await join(router, kind, ser, **ALICE)
    reg = await actor.register(lambda: "pong", "com.example.ping." + kind + ser, RegisterOptions(match="prefix"))
    sub = await actor.subscribe(lambda *a: None, "com..news", SubscribeOptions(match="wildcard"))
    await until(lambda: any(e[0] == "subscription.on_subscribe" and e[2] == sub.id for e in events), 5, "on_subscribe")
    await until(lambda: any(e[0] == "registration.on_register" and e[2] == reg.id for e in events), 5, "on_register")
    created = [e for e in events if e[0] == "registration.on_create" and e[2]["id"] == reg.id][0]
    eq(created[1], da.session, "on_create names the callee")
    eq(sorted(created[2]), ["created", "id", "invoke", "match", "uri"], "on_create details")
    eq((created[2]["match"], created[2]["invoke"]), ("prefix", "single"), "match and invoke")
    check([e[0] for e in events if e[0].startswith("subscription")][:2] ==
          ["subscription.on_create", "subscription.on_subscribe"], "on_create before on_subscribe")

    eq(await watcher.call("wamp.registration.match", "com.example.ping." + kind + ser + ".x"), reg.id, "match")
    eq(await watcher.call("wamp.registration.lookup", "com.example.ping." + kind + ser, {"match": "prefix"}), reg.id,
       "lookup")
    eq(await watcher.call("wamp.registration.list_callees", reg.id), [da.session], "list_callees")
    eq(await watcher.call("wamp.subscription.count_subscribers", sub.id), 1, "count_subscribers")
    eq(await watcher.call("wamp.subscription.match", "com.x.news"), [sub.id], "subscription.match")
    lists = await watcher.call("wamp.subscription.list", da.session)
    eq((lists["exact"], lists["prefix"], lists["wildcard"]), ([], [], [sub.id]), "list of one session")
    got = await watcher.call("wamp.subscription.get", sub.id)
    eq((got["uri"], got["match"]), ("com..news", "wildcard"), "get")
    e = await error_of(watcher.call("wamp.subscription.get", 4503599627370495))
    eq(e.error, "wamp.error.no_such_subscription", "unknown id")
    check(e.args and isinstance(e.args[0], str), "the error has a message")

    del events[:]
    actor.leave()
    await until(lambda: len(events) >= 4, 5, "the ends of both")
    eq(sorted(e[0] for e in events), ["registration.on_delete", "registration.on_unregister",
                                      "subscription.on_delete", "subscription.on_unsubscribe"], "ends")
    for what in ("registration", "subscription"):
        names = [e[0] for e in events if e[0].startswith(what)]
        check(names.index(what + ".on_delete") > names.index(what + (".on_unregister" if what == "registration"
                                                                      else ".on_unsubscribe")), "delete last")
    watcher.leave()


async def main():
    await pairs_with_metad(pair_checks, dict(realms=["realm1"]), lambda router: dict(realms=["realm1"]))


if __name__ == "__main__":
    run("integration: registration and subscription meta API with python3-autobahn", main)
