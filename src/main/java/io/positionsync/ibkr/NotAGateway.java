package io.positionsync.ibkr;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Names the server at an address that closed a TWS API handshake unanswered, when it is one a gateway is easily
 * mistaken for. PostgreSQL (its port 5432 is one digit away from a habit) drops the TWS greeting without a word;
 * asked with its own SSL request it answers with one byte, {@code S} or {@code N}.
 */
final class NotAGateway {
    private static final int PROBE_TIMEOUT_MS = 1000;
    /** PostgreSQL's SSLRequest: length 8, request code 80877103. */
    private static final byte[] PG_SSL_REQUEST = {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f};

    private NotAGateway() {
    }

    /** "a PostgreSQL server" when the address answers as one, else null. */
    static String identify(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), PROBE_TIMEOUT_MS);
            socket.setSoTimeout(PROBE_TIMEOUT_MS);
            OutputStream out = socket.getOutputStream();
            out.write(PG_SSL_REQUEST);
            out.flush();
            InputStream in = socket.getInputStream();
            int answer = in.read();
            return answer == 'S' || answer == 'N' ? "a PostgreSQL server" : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
