// Peer benchmark for `flight::lambert`: pykep's C++ Lambert solver (kep3::lambert_problem, D. Izzo's own
// implementation of Izzo 2015), timed from C++ with no Python in the loop.
//
// Built by crates/flight/bench/compare_peers.sh with g++ -O2. No pykep code is compiled here: the solver is
// the machine code of the shared library libkep3 that the pykep 3.0.1 wheel ships (pykep.libs/), loaded
// with dlopen and called through its exported C++ symbols (Itanium ABI: a member function takes `this`
// first). The object is constructed in a local buffer; its four std::vector members are found through the
// library's own getters (which return references to them) and destroyed afterwards, so nothing leaks.
//
// Usage: pykep_lambert <path to libkep3*.so> <cases file> <warm-up passes> <timed passes>
// Cases file, one problem per line: r1x r1y r1z r2x r2y r2z tof mu cw max_revs v1x v1y v1z
// (the last three: the reference zero-revolution v1, checked to 1e-6 m/s before timing).

#include <dlfcn.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

using V3 = std::array<double, 3>;
using VV = std::vector<V3>;
using Ctor = void (*)(void *, const V3 &, const V3 &, double, double, bool, unsigned);
using GetVV = const VV &(*)(const void *);
using GetVD = const std::vector<double> &(*)(const void *);
using GetVU = const std::vector<unsigned> &(*)(const void *);

struct Problem {
    V3 r1, r2;
    double tof, mu;
    bool cw;
    unsigned revs;
    V3 v1_ref;
};

struct Kep3 {
    Ctor ctor;
    GetVV get_v0, get_v1;
    GetVD get_x;
    GetVU get_iters;
};

template <class F> static F sym(void *lib, const char *name)
{
    void *p = dlsym(lib, name);
    if (p == nullptr) {
        std::fprintf(stderr, "symbol %s not found: %s\n", name, dlerror());
        std::exit(1);
    }
    return reinterpret_cast<F>(p);
}

// One solve: construct, read the zero-revolution v1, destroy the vectors the object owns.
static double solve(const Kep3 &k, const Problem &p, V3 *v1_out)
{
    alignas(64) unsigned char buf[1024];
    k.ctor(buf, p.r1, p.r2, p.tof, p.mu, p.cw, p.revs);
    const VV &v0 = k.get_v0(buf);
    double out = v0[0][0] + k.get_v1(buf).back()[2];
    if (v1_out != nullptr) {
        *v1_out = v0[0];
    }
    const_cast<VV &>(k.get_v0(buf)).~VV();
    const_cast<VV &>(k.get_v1(buf)).~VV();
    const_cast<std::vector<double> &>(k.get_x(buf)).~vector();
    const_cast<std::vector<unsigned> &>(k.get_iters(buf)).~vector();
    return out;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s libkep3.so cases.txt warmup timed\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
        std::fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    Kep3 k{sym<Ctor>(lib, "_ZN4kep315lambert_problemC1ERKSt5arrayIdLm3EES4_ddbj"),
           sym<GetVV>(lib, "_ZNK4kep315lambert_problem6get_v0Ev"),
           sym<GetVV>(lib, "_ZNK4kep315lambert_problem6get_v1Ev"),
           sym<GetVD>(lib, "_ZNK4kep315lambert_problem5get_xEv"),
           sym<GetVU>(lib, "_ZNK4kep315lambert_problem9get_itersEv")};

    std::vector<Problem> problems;
    std::ifstream in(argv[2]);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream s(line);
        Problem p{};
        int cw = 0;
        s >> p.r1[0] >> p.r1[1] >> p.r1[2] >> p.r2[0] >> p.r2[1] >> p.r2[2] >> p.tof >> p.mu >> cw >> p.revs >> p.v1_ref[0]
            >> p.v1_ref[1] >> p.v1_ref[2];
        if (s) {
            p.cw = cw != 0;
            problems.push_back(p);
        }
    }
    double worst = 0.0;
    for (const auto &p : problems) {
        V3 v1{};
        solve(k, p, &v1);
        worst = std::fmax(worst, std::hypot(v1[0] - p.v1_ref[0], v1[1] - p.v1_ref[1], v1[2] - p.v1_ref[2]));
    }
    std::printf("pykep C++ check: %zu problems, worst |v1 - reference| %.3e m/s\n", problems.size(), worst);
    if (!(worst < 1e-6)) {
        return 1;
    }
    const int warm = std::atoi(argv[3]);
    const int timed = std::atoi(argv[4]);
    volatile double sink = 0.0;
    for (int i = 0; i < warm; ++i) {
        for (const auto &p : problems) {
            sink = sink + solve(k, p, nullptr);
        }
    }
    double best = 1e300;
    for (int i = 0; i < timed; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        for (const auto &p : problems) {
            sink = sink + solve(k, p, nullptr);
        }
        auto t1 = std::chrono::steady_clock::now();
        best = std::fmin(best, std::chrono::duration<double, std::nano>(t1 - t0).count() / problems.size());
    }
    std::printf("pykep C++: %.1f ns per solve (best of %d passes over %zu problems after %d warm-up passes)\n", best,
                timed, problems.size(), warm);
    return 0;
}
