// A deliberate layer violation: a codec that includes Asio. Compiled only by the test
// layers.codec_including_asio_does_not_compile, with the codecs layer's include path; it must fail to compile.
#include <boost/asio/steady_timer.hpp>

int codec_that_waits() { return 0; }
