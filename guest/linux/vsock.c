/*
 * capvisor-vsock: a tiny AF_VSOCK stream tool for the test initramfs (busybox has none).
 *
 *   capvisor-vsock listen PORT          accept one connection on PORT, read one line, answer
 *                                       "echo: LINE\n", print "vsock-got: LINE" and exit
 *   capvisor-vsock connect CID PORT MSG connect to CID:PORT, send "MSG\n", print the line
 *                                       that comes back as "vsock-reply: LINE" and exit
 *
 * Exit status 0 on success, 1 with a message on standard error otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static int fail(const char *what)
{
	fprintf(stderr, "capvisor-vsock: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Reads up to one line (without the newline); returns its length or -1. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0 || c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = 0;
	return (int)n;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int do_listen(unsigned port)
{
	struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
	char line[256], reply[300];
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket");
	if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0)
		return fail("bind");
	if (listen(s, 1) < 0)
		return fail("listen");
	printf("vsock-listening %u\n", port);
	fflush(stdout);
	int c = accept(s, NULL, NULL);
	if (c < 0)
		return fail("accept");
	if (read_line(c, line, sizeof line) < 0)
		return fail("read");
	int n = snprintf(reply, sizeof reply, "echo: %s\n", line);
	if (write_all(c, reply, (size_t)n) < 0)
		return fail("write");
	printf("vsock-got: %s\n", line);
	close(c);
	close(s);
	return 0;
}

static int do_connect(unsigned cid, unsigned port, const char *msg)
{
	struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };
	char line[256];
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket");
	if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0)
		return fail("connect");
	if (write_all(s, msg, strlen(msg)) < 0 || write_all(s, "\n", 1) < 0)
		return fail("write");
	if (read_line(s, line, sizeof line) < 0)
		return fail("read");
	printf("vsock-reply: %s\n", line);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "listen") == 0)
		return do_listen((unsigned)strtoul(argv[2], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "connect") == 0)
		return do_connect((unsigned)strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10), argv[4]);
	fprintf(stderr, "usage: capvisor-vsock listen PORT | connect CID PORT MESSAGE\n");
	return 1;
}
