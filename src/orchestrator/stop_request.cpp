#include "prs/orchestrator/stop_request.hpp"

#include <signal.h>

#include <csignal>
#include <initializer_list>

namespace prs::orchestrator {

namespace {
volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_count = 0;

void record(int sig) {
    if (!g_signal) g_signal = sig;
    g_count = g_count + 1;
}
void ignore(int) {}
}  // namespace

void install_stop_handlers(bool rank0) {
    struct sigaction sa {};
    sa.sa_handler = rank0 ? record : ignore;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGTERM, SIGINT, SIGUSR1}) sigaction(sig, &sa, nullptr);
}

StopRequest stop_request() { return StopRequest{g_signal, g_count}; }

}  // namespace prs::orchestrator
