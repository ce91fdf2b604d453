/*
 * Native watch load generator for apiserver-bench.ts: does what watch-client.ts does at a
 * fraction of its CPU, so the benchmark's clients do not starve the server they measure on a
 * small machine (a load generator should be cheap: etcd's benchmark is Go, wrk is C).
 *
 * Usage: watch-client HOST PORT PATH COUNT
 * Opens COUNT plain HTTP/1.1 GETs of PATH (a watch) on HOST:PORT, checks each answers 200 with
 * chunked framing, removes the chunk framing and, in the event bytes, finds every annotation
 * `"bench/sent-at":"<epoch ms>"` (the time its update was sent) and records now - sent-at in a
 * 0.1 ms histogram, plus per update the first and last time any watch here received it.
 * A watch that ends (or fails) before `stop` counts as an error.
 *
 * Protocol with the driver (lines): prints `ready` once every response's headers arrived (or the
 * watch failed); on `report` on stdin prints one JSON line
 * {"type":"report","received","errors","bytes","reads","buckets":[[bucket,count]...],
 *  "firstLast":[[sentAtMs,firstMs,lastMs]...],"cpu":{"user":µs,"system":µs}};
 * `stop` or the end of stdin closes every watch and exits 0.
 *
 * WATCH_CLIENT_ENCODING=protobuf asks for `application/vnd.kubernetes.protobuf`: the events are
 * then length-prefixed frames (4-byte big-endian length, `k8s\0` envelope) and the sent-at is the
 * annotation's map entry in ObjectMeta (`0a 0d "bench/sent-at" 12 <len> <value>`): the client
 * finds the entry's bytes in a frame, reads the value and skips to the frame's end (the frame
 * length replaces the JSON line's newline).
 *
 * C99 with POSIX (sockets, epoll, clock_gettime, getrusage) only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MARKER_JSON "\"bench/sent-at\":\""
/* The annotation's map entry: key (field 1, 13 bytes), then the value's tag (field 2). */
#define MARKER_PB "\x0a\x0d" "bench/sent-at\x12"
#define MARKER_MAX 32
/* The marker of the chosen encoding, its length and where its '/' sits: a pod's first '/' is
 * almost always the marker's, so a memchr for '/' and a comparison is cheaper than a substring
 * search. */
static const char *MARKER = MARKER_JSON;
static int MARKER_LEN = (int)sizeof(MARKER_JSON) - 1;
static int SLASH_AT = 6;
/* Protobuf frames instead of JSON lines. */
static int pb_mode = 0;
#define HEADER_MAX 8192
#define VALUE_MAX 40
#define BUCKET_MS 0.1
#define MAX_BUCKET 600000 /* 60 s */
#define READ_SIZE 65536
#define MAX_SPREAD (1u << 22) /* distinct updates tracked; beyond that first/last is dropped */

enum conn_state { CONNECTING, HEADERS, BODY, CLOSED };
/* Chunked framing: the size line, the data, the CRLF after the data. */
enum chunk_state { CH_SIZE, CH_SIZE_EXT, CH_DATA, CH_DATA_END };
/* Marker scan over the de-chunked event bytes. */
enum scan_state { SEARCH, VALUE, SKIP_LINE };

struct conn {
  int fd;
  enum conn_state state;
  /* Response headers, until the blank line. */
  char *hdr;
  int hdr_len;
  enum chunk_state chunk;
  uint64_t chunk_left;
  enum scan_state scan;
  /* A possible start of the marker at the end of the previous data (at most MARKER_LEN - 1). */
  char carry[MARKER_MAX];
  int carry_len;
  /* Protobuf: bytes left in the current frame (0: reading the 4-byte length). */
  uint64_t frame_left;
  uint32_t frame_len;
  int frame_len_got;
  /* Protobuf: the value's length (-1 until its length byte was read). */
  int value_want;
  /* The sent-at value being read: integer part, fraction digits. */
  int64_t value_int;
  int64_t value_frac;
  int value_frac_digits;
  int value_len;
  int value_dot;
};

struct spread {
  int64_t key; /* sent-at in µs; 0 = empty */
  double first, last;
};

static uint32_t histogram[MAX_BUCKET + 1];
static uint64_t received;
/* Body bytes (chunk framing included) and body reads: bytes per event and events per read show
 * how the server batches its writes. */
static uint64_t body_bytes, body_reads;
static uint64_t errors;
static int stopping;
static struct spread *spreads;
static size_t spread_cap, spread_len;
static int spread_full_warned;
static struct conn *conns;
static int nconns;
static int ready_count;
static int ready_sent;
static int epfd = -1;
static int error_logs;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void log_error(const char *what, int idx) {
  /* A few lines are enough to see why; errors are counted in the report. */
  if (error_logs++ < 5) fprintf(stderr, "watch-client: watch %d: %s\n", idx, what);
}

static uint64_t hash64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

static void spread_grow(void) {
  size_t cap = spread_cap ? spread_cap * 2 : 8192;
  struct spread *next = calloc(cap, sizeof *next);
  if (!next) return;
  for (size_t i = 0; i < spread_cap; i++) {
    if (spreads[i].key == 0) continue;
    size_t j = hash64((uint64_t)spreads[i].key) & (cap - 1);
    while (next[j].key != 0) j = (j + 1) & (cap - 1);
    next[j] = spreads[i];
  }
  free(spreads);
  spreads = next;
  spread_cap = cap;
}

static void spread_note(int64_t key, double t) {
  if (key == 0) return;
  if ((spread_len + 1) * 2 > spread_cap) {
    if (spread_cap >= MAX_SPREAD * 2) {
      if (!spread_full_warned++) fprintf(stderr, "watch-client: too many updates to track\n");
    } else {
      spread_grow();
    }
  }
  if (spread_cap == 0) return;
  size_t j = hash64((uint64_t)key) & (spread_cap - 1);
  for (size_t probes = 0; probes < spread_cap; probes++) {
    if (spreads[j].key == key) {
      if (t < spreads[j].first) spreads[j].first = t;
      if (t > spreads[j].last) spreads[j].last = t;
      return;
    }
    if (spreads[j].key == 0) {
      if ((spread_len + 1) * 2 > spread_cap) return; /* full: drop */
      spreads[j].key = key;
      spreads[j].first = t;
      spreads[j].last = t;
      spread_len++;
      return;
    }
    j = (j + 1) & (spread_cap - 1);
  }
}

static void record(struct conn *c, double t) {
  int64_t frac = c->value_frac;
  for (int d = c->value_frac_digits; d < 3; d++) frac *= 10;
  int64_t micros = c->value_int * 1000 + frac;
  received++;
  double latency = t - (double)micros / 1000.0;
  double b = latency / BUCKET_MS + 0.5;
  long bucket = b < 0 ? 0 : b > MAX_BUCKET ? MAX_BUCKET : (long)b;
  histogram[bucket]++;
  spread_note(micros, t);
}

/* The longest end of buf[0..len) that is a proper prefix of the marker, into the carry. */
static void keep_partial(struct conn *c, const char *buf, size_t len) {
  size_t max = len < (size_t)MARKER_LEN - 1 ? len : (size_t)MARKER_LEN - 1;
  for (size_t l = max; l > 0; l--) {
    if (buf[len - l] == MARKER[0] && memcmp(buf + len - l, MARKER, l) == 0) {
      memcpy(c->carry, buf + len - l, l);
      c->carry_len = (int)l;
      return;
    }
  }
  c->carry_len = 0;
}

static void start_value(struct conn *c) {
  c->scan = VALUE;
  c->value_int = 0;
  c->value_frac = 0;
  c->value_frac_digits = 0;
  c->value_len = 0;
  c->value_dot = 0;
  c->value_want = -1;
}

/* One character of the sent-at value (digits and one '.'). */
static void value_char(struct conn *c, char ch) {
  if (ch == '.') {
    c->value_dot = 1;
  } else if (ch >= '0' && ch <= '9') {
    if (!c->value_dot) {
      c->value_int = c->value_int * 10 + (ch - '0');
    } else if (c->value_frac_digits < 3) {
      c->value_frac = c->value_frac * 10 + (ch - '0');
      c->value_frac_digits++;
    }
  }
}

/* Scans event bytes (chunk framing removed); state carries over between calls. */
static void scan(struct conn *c, const char *buf, size_t len, double t) {
  size_t pos = 0;
  while (pos < len) {
    if (c->scan == SKIP_LINE) {
      if (pb_mode) return; /* the frame layer skips to the frame's end */
      const char *nl = memchr(buf + pos, '\n', len - pos);
      if (!nl) return;
      pos = (size_t)(nl - buf) + 1;
      c->scan = SEARCH;
      continue;
    }
    if (c->scan == VALUE) {
      while (pos < len) {
        char ch = buf[pos++];
        if (pb_mode) {
          if (c->value_want < 0) {
            unsigned char l = (unsigned char)ch;
            if (l == 0 || l > VALUE_MAX) {
              c->scan = SKIP_LINE; /* not a time (or a long value): ignore the frame */
              break;
            }
            c->value_want = l;
            continue;
          }
          value_char(c, ch);
          if (++c->value_len == c->value_want) {
            record(c, t);
            c->scan = SKIP_LINE;
            break;
          }
          continue;
        }
        if (ch == '"') {
          if (c->value_len > 0) record(c, t);
          c->scan = SKIP_LINE;
          break;
        }
        if (++c->value_len > VALUE_MAX) {
          c->scan = SKIP_LINE; /* not a time: ignore the line */
          break;
        }
        value_char(c, ch);
      }
      continue;
    }
    /* SEARCH. First, a marker begun at the end of the previous data. */
    if (c->carry_len > 0) {
      char seam[2 * MARKER_MAX];
      size_t n = len - pos < (size_t)MARKER_LEN - 1 ? len - pos : (size_t)MARKER_LEN - 1;
      size_t carried = (size_t)c->carry_len;
      memcpy(seam, c->carry, carried);
      memcpy(seam + carried, buf + pos, n);
      size_t seam_len = carried + n;
      c->carry_len = 0;
      int found = 0;
      for (size_t k = 0; k < carried; k++) {
        if (seam[k] != MARKER[0]) continue;
        if (seam_len - k >= (size_t)MARKER_LEN) {
          if (memcmp(seam + k, MARKER, MARKER_LEN) == 0) {
            pos += k + MARKER_LEN - carried;
            start_value(c);
            found = 1;
            break;
          }
        } else if (memcmp(seam + k, MARKER, seam_len - k) == 0) {
          /* Still only a beginning: the data ran out (n < MARKER_LEN - 1). */
          memcpy(c->carry, seam + k, seam_len - k);
          c->carry_len = (int)(seam_len - k);
          return;
        }
      }
      if (found) continue;
    }
    size_t from = pos + SLASH_AT;
    int found = 0;
    while (from < len) {
      const char *slash = memchr(buf + from, '/', len - from);
      if (!slash) break;
      size_t s = (size_t)(slash - buf);
      size_t at = s - SLASH_AT;
      if (len - at < (size_t)MARKER_LEN) break; /* cut by the end: carried below */
      if (buf[at] == MARKER[0] && memcmp(buf + at, MARKER, MARKER_LEN) == 0) {
        pos = at + MARKER_LEN;
        start_value(c);
        found = 1;
        break;
      }
      from = s + 1;
    }
    if (found) continue;
    keep_partial(c, buf + pos, len - pos);
    return;
  }
}

/* Protobuf: splits event bytes into frames (4-byte big-endian length, then the frame) and scans
 * each frame from its start until its marker was found; the rest of the frame is skipped. */
static void frames(struct conn *c, const char *buf, size_t len, double t) {
  size_t pos = 0;
  while (pos < len) {
    if (c->frame_left == 0) {
      c->frame_len = (c->frame_len << 8) | (unsigned char)buf[pos++];
      if (++c->frame_len_got == 4) {
        c->frame_left = c->frame_len;
        c->frame_len = 0;
        c->frame_len_got = 0;
        c->scan = SEARCH;
        c->carry_len = 0;
      }
      continue;
    }
    size_t n = len - pos < c->frame_left ? len - pos : (size_t)c->frame_left;
    if (c->scan != SKIP_LINE) scan(c, buf + pos, n, t);
    pos += n;
    c->frame_left -= n;
  }
}

static void close_conn(struct conn *c) {
  if (c->fd >= 0) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
  }
  free(c->hdr);
  c->hdr = NULL;
  c->state = CLOSED;
}

static void maybe_ready(void) {
  if (!ready_sent && ready_count >= nconns) {
    ready_sent = 1;
    fputs("ready\n", stdout);
    fflush(stdout);
  }
}

/* The watch failed or ended: an error unless we are stopping. */
static void fail(struct conn *c, int idx, const char *why) {
  if (!stopping) {
    errors++;
    log_error(why, idx);
  }
  if (c->state == CONNECTING || c->state == HEADERS) {
    ready_count++;
    maybe_ready();
  }
  close_conn(c);
}

/* Removes the chunk framing of body bytes and scans the data. Returns -1 when the body ended
 * (the last chunk) or its framing is broken. */
static int body(struct conn *c, const char *buf, size_t len, double t) {
  size_t pos = 0;
  while (pos < len) {
    switch (c->chunk) {
      case CH_SIZE: {
        char ch = buf[pos++];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (d >= 0) {
          if (c->chunk_left > (1u << 30)) return -1;
          c->chunk_left = c->chunk_left * 16 + (uint64_t)d;
        } else if (ch == '\n') {
          if (c->chunk_left == 0) return -1; /* the last chunk: the watch ended */
          c->chunk = CH_DATA;
        } else {
          c->chunk = CH_SIZE_EXT; /* ';' extensions or the CR */
        }
        break;
      }
      case CH_SIZE_EXT: {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl) return 0;
        pos = (size_t)(nl - buf) + 1;
        if (c->chunk_left == 0) return -1;
        c->chunk = CH_DATA;
        break;
      }
      case CH_DATA: {
        size_t n = len - pos < c->chunk_left ? len - pos : (size_t)c->chunk_left;
        if (pb_mode)
          frames(c, buf + pos, n, t);
        else
          scan(c, buf + pos, n, t);
        pos += n;
        c->chunk_left -= n;
        if (c->chunk_left == 0) c->chunk = CH_DATA_END;
        break;
      }
      case CH_DATA_END: {
        char ch = buf[pos++];
        if (ch == '\n') {
          c->chunk = CH_SIZE;
          c->chunk_left = 0;
        } else if (ch != '\r') {
          return -1;
        }
        break;
      }
    }
  }
  return 0;
}

/* The status line and headers are complete in c->hdr (end = after the blank line). */
static int headers_ok(struct conn *c, int end, int idx) {
  char *h = c->hdr;
  if (end < 12 || strncmp(h, "HTTP/1.", 7) != 0 || strncmp(h + 8, " 200", 4) != 0) {
    char status[40];
    int n = 0;
    while (n < end && n < 39 && h[n] != '\r') {
      status[n] = h[n];
      n++;
    }
    status[n] = 0;
    log_error(status, idx);
    return 0;
  }
  for (int i = 0; i < end; i++) h[i] = (char)tolower((unsigned char)h[i]);
  h[end - 1] = 0; /* the final '\n': a terminator for strstr */
  const char *te = strstr(h, "\r\ntransfer-encoding:");
  if (!te) {
    log_error("response is not chunked", idx);
    return 0;
  }
  const char *eol = strchr(te + 2, '\r');
  const char *chunked = strstr(te, "chunked");
  if (!chunked || (eol && chunked > eol)) {
    log_error("response is not chunked", idx);
    return 0;
  }
  return 1;
}

static char readbuf[READ_SIZE];

static void on_readable(struct conn *c, int idx) {
  if (c->state == HEADERS) {
    ssize_t r = read(c->fd, c->hdr + c->hdr_len, (size_t)(HEADER_MAX - 1 - c->hdr_len));
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (r <= 0) {
      fail(c, idx, r == 0 ? "closed before the response headers" : strerror(errno));
      return;
    }
    double t = now_ms();
    c->hdr_len += (int)r;
    c->hdr[c->hdr_len] = 0;
    char *end = strstr(c->hdr, "\r\n\r\n");
    if (!end) {
      if (c->hdr_len >= HEADER_MAX - 1) fail(c, idx, "response headers too large");
      return;
    }
    int hend = (int)(end - c->hdr) + 4;
    int rest = c->hdr_len - hend;
    if (!headers_ok(c, hend, idx)) {
      fail(c, idx, "bad response");
      return;
    }
    c->state = BODY;
    ready_count++;
    maybe_ready();
    if (rest > 0 && body(c, c->hdr + hend, (size_t)rest, t) < 0) {
      fail(c, idx, "watch ended");
      return;
    }
    free(c->hdr);
    c->hdr = NULL;
    return;
  }
  ssize_t r = read(c->fd, readbuf, sizeof readbuf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r <= 0) {
    fail(c, idx, r == 0 ? "watch closed" : strerror(errno));
    return;
  }
  body_bytes += (uint64_t)r;
  body_reads++;
  if (body(c, readbuf, (size_t)r, now_ms()) < 0) fail(c, idx, "watch ended");
}

static char request_buf[4096];
static int request_len;

static void on_writable(struct conn *c, int idx) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
    fail(c, idx, err ? strerror(err) : "connect failed");
    return;
  }
  /* A fresh socket's send buffer takes the small request whole. */
  ssize_t w = send(c->fd, request_buf, (size_t)request_len, MSG_NOSIGNAL);
  if (w != request_len) {
    fail(c, idx, "could not send the request");
    return;
  }
  c->state = HEADERS;
  struct epoll_event ev = {.events = EPOLLIN, .data = {.u32 = (uint32_t)idx}};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Appends to a growing buffer (the report). */
struct out {
  char *buf;
  size_t len, cap;
};

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(struct out *o, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (o->buf && o->len + (size_t)n < o->cap) {
      o->len += (size_t)n;
      return;
    }
    size_t cap = o->cap ? o->cap * 2 : 65536;
    while (cap < o->len + (size_t)n + 1) cap *= 2;
    char *next = realloc(o->buf, cap);
    if (!next) return;
    o->buf = next;
    o->cap = cap;
  }
}

static void report(void) {
  struct out o = {0};
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  out_printf(&o,
             "{\"type\":\"report\",\"received\":%llu,\"errors\":%llu,\"bytes\":%llu,"
             "\"reads\":%llu,\"buckets\":[",
             (unsigned long long)received, (unsigned long long)errors,
             (unsigned long long)body_bytes, (unsigned long long)body_reads);
  int first = 1;
  for (long i = 0; i <= MAX_BUCKET; i++) {
    if (!histogram[i]) continue;
    out_printf(&o, "%s[%ld,%u]", first ? "" : ",", i, histogram[i]);
    first = 0;
  }
  out_printf(&o, "],\"firstLast\":[");
  first = 1;
  for (size_t i = 0; i < spread_cap; i++) {
    if (!spreads[i].key) continue;
    out_printf(&o, "%s[%lld.%03lld,%.3f,%.3f]", first ? "" : ",",
               (long long)(spreads[i].key / 1000), (long long)(spreads[i].key % 1000),
               spreads[i].first, spreads[i].last);
    first = 0;
  }
  out_printf(&o, "],\"cpu\":{\"user\":%lld,\"system\":%lld}}\n",
             (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
             (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
  fwrite(o.buf, 1, o.len, stdout);
  fflush(stdout);
  free(o.buf);
}

static void shutdown_all(void) {
  stopping = 1;
  for (int i = 0; i < nconns; i++) close_conn(&conns[i]);
  free(conns);
  free(spreads);
  if (epfd >= 0) close(epfd);
}

/* Lines from the driver on stdin. Returns 1 to stop. */
static int on_stdin(void) {
  static char line[256];
  static int line_len;
  char buf[256];
  ssize_t r = read(0, buf, sizeof buf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  if (r <= 0) return 1;
  for (ssize_t i = 0; i < r; i++) {
    if (buf[i] != '\n') {
      if (line_len < (int)sizeof line - 1) line[line_len++] = buf[i];
      continue;
    }
    line[line_len] = 0;
    line_len = 0;
    if (strcmp(line, "report") == 0) report();
    else if (strcmp(line, "stop") == 0) return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: watch-client HOST PORT PATH COUNT\n");
    return 2;
  }
  /* WATCH_CLIENT_SCHED=batch: SCHED_BATCH, so that on a machine shared with the server a client
   * woken by each of the server's writes does not preempt the server mid-fan-out (clients of a
   * real server run elsewhere); it still reads (and timestamps) as soon as a core is free. */
  const char *sched = getenv("WATCH_CLIENT_SCHED");
  if (sched && strcmp(sched, "batch") == 0) {
    struct sched_param sp = {.sched_priority = 0};
    if (sched_setscheduler(0, SCHED_BATCH, &sp) != 0) perror("watch-client: SCHED_BATCH");
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  const char *path = argv[3];
  nconns = atoi(argv[4]);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (nconns < 0 || port <= 0 || inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "watch-client: bad arguments (HOST must be an IPv4 address)\n");
    return 2;
  }
  const char *encoding = getenv("WATCH_CLIENT_ENCODING");
  if (encoding && strcmp(encoding, "protobuf") == 0) {
    pb_mode = 1;
    MARKER = MARKER_PB;
    MARKER_LEN = (int)sizeof(MARKER_PB) - 1;
    SLASH_AT = 7;
  }
  request_len = snprintf(request_buf, sizeof request_buf,
                         "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: %s\r\n"
                         "User-Agent: kubets-bench-watch-client\r\n\r\n",
                         path, host, port,
                         pb_mode ? "application/vnd.kubernetes.protobuf" : "application/json");
  if (request_len <= 0 || request_len >= (int)sizeof request_buf) {
    fprintf(stderr, "watch-client: path too long\n");
    return 2;
  }
  /* One descriptor per watch. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nconns + 64) {
    rl.rlim_cur = rl.rlim_max < (rlim_t)nconns + 64 ? rl.rlim_max : (rlim_t)nconns + 64;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  epfd = epoll_create1(EPOLL_CLOEXEC);
  conns = calloc((size_t)(nconns > 0 ? nconns : 1), sizeof *conns);
  if (epfd < 0 || !conns) {
    perror("watch-client");
    return 1;
  }
  struct epoll_event in = {.events = EPOLLIN, .data = {.u32 = UINT32_MAX}};
  epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &in);
  for (int i = 0; i < nconns; i++) {
    struct conn *c = &conns[i];
    c->state = CONNECTING;
    c->hdr = malloc(HEADER_MAX);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || !c->hdr) {
      fail(c, i, "no socket");
      continue;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
      fail(c, i, strerror(errno));
      continue;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data = {.u32 = (uint32_t)i}};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
  }
  maybe_ready();
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(epfd, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("watch-client: epoll_wait");
      break;
    }
    int stop = 0;
    for (int e = 0; e < n; e++) {
      uint32_t idx = events[e].data.u32;
      if (idx == UINT32_MAX) {
        if (on_stdin()) stop = 1;
        continue;
      }
      struct conn *c = &conns[idx];
      if (c->state == CLOSED) continue;
      if (c->state == CONNECTING) on_writable(c, (int)idx);
      else on_readable(c, (int)idx);
    }
    if (stop) break;
  }
  shutdown_all();
  return 0;
}
