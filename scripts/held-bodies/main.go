// Command held-bodies measures what Shopify bodies held open cost a running engine: it opens -n
// connections, each sending a 5 MiB body under a wrong signature but for its last byte, holds
// them for 10 seconds and prints the peak resident memory of the process -pid (Linux, /proc).
//
//	afterglow run --config afterglow.yaml &      # with sources.shopify, listening on -addr
//	go run ./scripts/held-bodies -addr 127.0.0.1:8080 -pid $!
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func rss(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n / 1024
		}
	}
	return 0
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "")
	pid := flag.Int("pid", 0, "")
	n := flag.Int("n", 200, "")
	flag.Parse()
	const size = 5 << 20
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", *addr)
			if err != nil {
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Shopify-Topic: orders/create\r\nX-Shopify-Hmac-Sha256: d3Jvbmc=\r\nX-Shopify-Shop-Domain: jsmith.myshopify.com\r\nContent-Length: %d\r\n\r\n", size)
			for sent := 0; sent < size-1; sent += len(chunk) {
				if _, err := c.Write(chunk[:min(len(chunk), size-1-sent)]); err != nil {
					return
				}
			}
			<-stop // hold the last byte back: the body is never complete
		}()
	}
	peak := int64(0)
	for t := 0; t < 40; t++ {
		time.Sleep(250 * time.Millisecond)
		peak = max(peak, rss(*pid))
	}
	close(stop)
	wg.Wait()
	fmt.Printf("%d connections of 5 MiB bodies held open: peak RSS %d MiB\n", *n, peak)
}
