/** A side-effect module (see dnsPreload.mjs): importing it makes `*.localhost` resolve to loopback in this process. */
export {};
