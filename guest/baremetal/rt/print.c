#include "rt.h"

static void out_num(u64 v, int base, int neg, int width, char pad, int upper, int left, int plus)
{
    char buf[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        buf[n++] = digits[v % (u64)base];
        v /= (u64)base;
    } while (v);
    int len = n + (neg || plus ? 1 : 0);
    if (!left && pad == ' ')
        for (; len < width; width--)
            uart_putc(' ');
    if (neg)
        uart_putc('-');
    else if (plus)
        uart_putc('+');
    if (!left && pad == '0')
        for (; len < width; width--)
            uart_putc('0');
    while (n)
        uart_putc(buf[--n]);
    if (left)
        for (; len < width; width--)
            uart_putc(' ');
}

int vprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            uart_putc(*fmt);
            continue;
        }
        fmt++;
        int left = 0, width = 0, lng = 0, plus = 0;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '+')
                plus = 1;
            else
                break;
        }
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') {
            lng = 1;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            s64 v = lng ? va_arg(ap, s64) : va_arg(ap, int);
            out_num(v < 0 ? -(u64)v : (u64)v, 10, v < 0, width, pad, 0, left, plus);
            break;
        }
        case 'u':
            out_num(lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 10, 0, width, pad, 0, left, 0);
            break;
        case 'x':
        case 'X':
            out_num(lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 16, 0, width, pad, *fmt == 'X',
                    left, 0);
            break;
        case 'p':
            uart_puts("0x");
            out_num((u64)va_arg(ap, void *), 16, 0, width, pad, 0, left, 0);
            break;
        case 'c':
            uart_putc((char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len = (int)strlen(s);
            if (!left)
                for (; len < width; width--)
                    uart_putc(' ');
            uart_puts(s);
            if (left)
                for (; len < width; width--)
                    uart_putc(' ');
            break;
        }
        case '%':
            uart_putc('%');
            break;
        case 0:
            return 0;
        default:
            uart_putc('%');
            uart_putc(*fmt);
        }
    }
    return 0;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    return 0;
}
