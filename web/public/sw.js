/* crowdfix service worker: shows a notification when a push message arrives (a new job offer),
   tells open helper pages to refresh at once, and opens the offers inbox when tapped. */
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function parse(event) {
  if (!event.data) return {};
  try { return event.data.json(); } catch (e) { return { body: event.data.text() }; }
}

self.addEventListener("push", (event) => {
  const msg = parse(event);
  const title = msg.title || "crowdfix";
  const options = {
    body: msg.body || "",
    tag: msg.tag || (msg.booking_id ? "offer-" + msg.booking_id : "crowdfix"),
    renotify: true,
    requireInteraction: true,
    icon: "/icon.svg",
    data: { url: msg.url || "/helper", booking_id: msg.booking_id || null },
  };
  event.waitUntil(Promise.all([
    self.registration.showNotification(title, options),
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((clients) =>
      clients.forEach((c) => c.postMessage({ type: "push", message: msg }))),
  ]));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/helper";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((clients) => {
    // an open window of ours shows the linked screen (a helper's offer, a customer's booking)
    const target = new URL(url, self.location.origin);
    for (const c of clients) {
      if (new URL(c.url).origin === self.location.origin && "focus" in c) {
        return c.focus().then((w) => (target.origin === self.location.origin && w && w.navigate ? w.navigate(target.href) : w))
          .catch(() => self.clients.openWindow(url));  // not controlled by this worker: a new window
      }
    }
    return self.clients.openWindow(url);
  }));
});
